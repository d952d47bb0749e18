// eval_model: reference logits (recorded once or read back), then MODEL teacher-forced over the same ids.
#include "pipeline/eval.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "core/limits.h"
#include "models/load_checkpoint.h"
#include "pipeline/open_model.h"

namespace hfb {
namespace {

std::vector<std::vector<int64_t>> cut_to_context(const std::vector<std::vector<int64_t>>& lines, int64_t context) {
  if (context == 0) return lines;
  std::vector<std::vector<int64_t>> out;
  for (const auto& line : lines) {
    for (size_t start = 0; start < line.size(); start += static_cast<size_t>(context)) {
      const size_t end = std::min(line.size(), start + static_cast<size_t>(context));
      out.emplace_back(line.begin() + static_cast<std::ptrdiff_t>(start), line.begin() + static_cast<std::ptrdiff_t>(end));
    }
  }
  return out;
}

// A temporary reference file when --save-reference is not given, removed when done.
struct TempReference {
  std::string path;
  ~TempReference() {
    if (!path.empty()) std::filesystem::remove(path);
  }
};

std::string temp_reference_path() {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
  if (ec) dir = ".";
  return (dir / ("hfbundle-eval-" + std::to_string(::getpid()) + ".ref")).string();
}

// Checks a --reference file against --against (fingerprint) and the ids given (same sequences).
Status check_reference_file(const EvalReferenceFile& file, const EvalOptions& options,
                            const std::vector<std::vector<int64_t>>* sequences) {
  const EvalReferenceInfo& info = file.info();
  if (!options.against.empty()) {
    HFB_TRY(Model model, load_checkpoint(options.against));
    if (eval_model_fingerprint(model) != info.model_fingerprint) {
      return Error(ErrorCode::kInvalidArgument, "the reference file was recorded from another model ('" + info.label +
                                                    "'), not from --against " + options.against)
          .with_path(options.reference_file);
    }
  }
  if (sequences == nullptr) return ok_status();
  const std::string source = options.text_file.empty() ? options.ids_file : options.text_file;
  if (sequences->size() != info.sequences.size()) {
    return Error(ErrorCode::kInvalidArgument, "the reference file covers other ids: " +
                                                  std::to_string(info.sequences.size()) + " sequences, " + source +
                                                  " gives " + std::to_string(sequences->size()))
        .with_path(options.reference_file);
  }
  for (size_t i = 0; i < sequences->size(); ++i) {
    if ((*sequences)[i] != info.sequences[i]) {
      return Error(ErrorCode::kInvalidArgument, "the reference file covers other ids: sequence " + std::to_string(i) +
                                                    " differs from " + source + " (another file or --context?)")
          .with_path(options.reference_file);
    }
  }
  return ok_status();
}

// Records the reference to `path` from --against over the given ids.
Status record_from_checkpoint(const EvalOptions& options, std::vector<std::vector<int64_t>> sequences,
                              const std::string& path) {
  HFB_TRY(Model model, load_checkpoint(options.against));
  EvalReferenceInfo info;
  info.model_fingerprint = eval_model_fingerprint(model);
  info.label = options.against;
  info.sequences = std::move(sequences);
  HFB_TRY(ModelSession reference, open_model_session(model));
  info.vocab_size = reference.session->vocab_size();
  info.num_layers = reference.session->num_layers();
  auto progress = [&options](size_t done, size_t total) {
    if (options.on_progress) options.on_progress("reference", done, total);
  };
  return record_eval_reference(*reference.session, info, path, progress);
}

}  // namespace

Result<std::vector<std::vector<int64_t>>> load_eval_sequences(const EvalOptions& options,
                                                              const std::string& tokenizer_source) {
  if (options.context < 0) return Error(ErrorCode::kInvalidArgument, "--context must be >= 1");
  std::vector<std::vector<int64_t>> lines;
  if (!options.text_file.empty()) {
    HFB_TRY(lines, tokenize_prompt_file(tokenizer_source, options.text_file));
  } else {
    HFB_TRY(lines, read_prompt_ids_file(options.ids_file));
  }
  lines = cut_to_context(lines, options.context);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string what = "sequence " + std::to_string(i) + " length";
    Status fits = check_limit(what.c_str(), lines[i].size(),
                              static_cast<uint64_t>(limits().max_positions), "positions");
    if (!fits.ok()) return std::move(fits).error().with_context("(use --context to cut long lines)");
  }
  return lines;
}

uint64_t eval_model_fingerprint(const Model& model) {
  uint64_t hash = kFnvOffset;
  for (const TensorInfo& t : model.tensors.tensors()) {
    std::string meta = t.name + "|" + std::string(t.dtype.name()) + "|" + std::to_string(t.num_bytes);
    for (int64_t d : t.shape.dims()) meta += "," + std::to_string(d);
    hash = fnv1a64(meta.data(), meta.size(), hash);
    if (!t.source) continue;
    auto head = t.source->read(t.offset, std::min<uint64_t>(t.num_bytes, 256));
    if (head.ok()) hash = fnv1a64(head->data, head->size, hash);
  }
  return hash;
}

Status record_eval_reference(Session& reference, const EvalReferenceInfo& info, const std::string& path,
                             const std::function<void(size_t done, size_t total)>& on_progress) {
  HFB_TRY(std::unique_ptr<EvalReferenceWriter> writer, EvalReferenceWriter::create(path, info));
  for (size_t i = 0; i < info.sequences.size(); ++i) {
    reference.reset();
    auto logits = reference.prefill(info.sequences[i], nullptr, nullptr);
    if (!logits.ok()) return std::move(logits).error().with_context("reference, sequence " + std::to_string(i));
    HFB_TRY(writer->append(*logits));
    if (on_progress) on_progress(i + 1, info.sequences.size());
  }
  return writer->commit();
}

Result<EvalReport> eval_session(Session& ours, const EvalReferenceFile& reference,
                                const std::function<void(size_t done, size_t total)>& on_progress) {
  const EvalReferenceInfo& info = reference.info();
  if (ours.vocab_size() != info.vocab_size) {
    return Error(ErrorCode::kInvalidArgument, "the model's vocabulary is " + std::to_string(ours.vocab_size()) +
                                                  " but the reference's is " + std::to_string(info.vocab_size) +
                                                  " (a reference for another model?)");
  }
  if (ours.num_layers() != info.num_layers) {
    return Error(ErrorCode::kInvalidArgument, "the model has " + std::to_string(ours.num_layers()) +
                                                  " layers but the reference '" + info.label + "' has " +
                                                  std::to_string(info.num_layers) + " (a reference for another model?)");
  }
  const auto start = std::chrono::steady_clock::now();
  EvalAccumulator accumulator;
  for (size_t i = 0; i < info.sequences.size(); ++i) {
    ours.reset();
    auto logits = ours.prefill(info.sequences[i], nullptr, nullptr);
    if (!logits.ok()) return std::move(logits).error().with_context("model, sequence " + std::to_string(i));
    HFB_TRY(Matrix ref, reference.logits(i));
    HFB_TRY(accumulator.add(ref, *logits, info.sequences[i]));
    if (on_progress) on_progress(i + 1, info.sequences.size());
  }
  EvalReport report = accumulator.report();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

Result<EvalReport> eval_model(const std::string& model_path, const EvalOptions& options) {
  if (options.against.empty() && options.reference_file.empty()) {
    return Error(ErrorCode::kInvalidArgument, "give --against CHECKPOINT or --reference FILE");
  }
  const bool have_ids = !options.text_file.empty() || !options.ids_file.empty();
  if (!have_ids && options.reference_file.empty()) {
    return Error(ErrorCode::kInvalidArgument, "give --text FILE or --ids-file FILE");
  }
  std::optional<std::vector<std::vector<int64_t>>> sequences;
  if (have_ids) {
    HFB_TRY(sequences, load_eval_sequences(options, options.against.empty() ? model_path : options.against));
  }
  TempReference temp;
  std::string reference_path = options.reference_file;
  if (reference_path.empty()) {
    reference_path = options.save_reference.empty() ? temp_reference_path() : options.save_reference;
    if (options.save_reference.empty()) temp.path = reference_path;
    HFB_TRY(record_from_checkpoint(options, std::move(*sequences), reference_path));
    sequences.reset();
  }
  HFB_TRY(EvalReferenceFile reference, EvalReferenceFile::open(reference_path));
  if (!options.reference_file.empty()) {
    HFB_TRY(check_reference_file(reference, options, sequences ? &*sequences : nullptr));
  }
  HFB_TRY(ModelSession model, open_model_session(model_path, options.check_checksums));
  auto progress = [&options](size_t done, size_t total) {
    if (options.on_progress) options.on_progress("model", done, total);
  };
  HFB_TRY(EvalReport report, eval_session(*model.session, reference, progress));
  HFB_TRY(model.check_inputs());
  report.model = model_path;
  report.reference = options.reference_file.empty() ? options.against : options.reference_file;
  report.ids_source = !options.text_file.empty() ? options.text_file
                      : !options.ids_file.empty() ? options.ids_file : "the reference file's ids";
  return report;
}

}  // namespace hfb
