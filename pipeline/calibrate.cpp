// Calibration: sequences from text or ids, the float text graph run with a linear-input observer, the
// importance matrix loaded / collected / saved, and the per-tensor column weights convert uses.
#include "pipeline/calibrate.h"

#include <algorithm>

#include "core/byte_source.h"
#include "core/limits.h"
#include "models/model_family.h"
#include "quant/weighted_quantize.h"
#include "readers/imatrix_reader.h"
#include "readers/prompt_ids.h"
#include "readers/tokenizer/text_tokenizer.h"
#include "runtime/graph_interpreter.h"
#include "runtime/mapped_weight_store.h"
#include "validators/golden_record.h"
#include "validators/report.h"
#include "writers/imatrix_writer.h"

namespace hfb {
namespace {

class ImatrixObserver final : public LinearInputObserver {
 public:
  explicit ImatrixObserver(ImportanceMatrix* out) : out_(out) {}
  void observe_linear_input(const std::string& tensor, const float* x, int64_t rows, int64_t cols) override {
    out_->accumulate(tensor, x, rows, cols);
  }

 private:
  ImportanceMatrix* out_;
};

Result<std::vector<std::vector<int64_t>>> text_sequences(const std::string& checkpoint, const std::string& path) {
  HFB_TRY(tokenizer::TextTokenizer text, tokenizer::load_text_tokenizer(checkpoint));
  HFB_TRY(std::string bytes, read_small_file(path, limits().max_prompt_file_bytes, "prompt_file_bytes"));
  std::vector<std::vector<int64_t>> out;
  size_t start = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    std::string line = bytes.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    auto ids = text.tokenizer.encode(line, true);
    if (!ids.ok()) return std::move(ids).error().with_path(path);
    out.emplace_back(ids->begin(), ids->end());
  }
  return out;
}

}  // namespace

Result<std::vector<std::vector<int64_t>>> read_calibration_sequences(const std::string& checkpoint,
                                                                     const CalibrationOptions& options) {
  const std::string& path = options.text_file.empty() ? options.ids_file : options.text_file;
  std::vector<std::vector<int64_t>> sequences;
  if (!options.text_file.empty()) {
    HFB_TRY(sequences, text_sequences(checkpoint, options.text_file));
  } else {
    HFB_TRY(std::string text, read_small_file(path, limits().max_prompt_file_bytes, "prompt_file_bytes"));
    auto parsed = parse_prompt_lines(text);
    if (!parsed.ok()) return std::move(parsed).error().with_path(path);
    sequences = std::move(*parsed);
  }
  if (sequences.empty()) {
    return Error(ErrorCode::kInvalidArgument, "the calibration file has no sequences").with_path(path);
  }
  return sequences;
}

Result<ImportanceMatrix> collect_imatrix(const Model& model, const std::vector<std::vector<int64_t>>& sequences,
                                         int64_t context) {
  if (context < 1) return Error(ErrorCode::kInvalidArgument, "--calibrate-context must be >= 1");
  HFB_TRY(Graph graph, build_text_graph(model.config, model.tensors));
  HFB_TRY(std::unique_ptr<MappedWeightStore> store, MappedWeightStore::create(graph, model.tensors));
  std::shared_ptr<const WeightStore> weights(std::move(store));
  HFB_TRY(std::unique_ptr<GraphInterpreter> interpreter, GraphInterpreter::create(graph, weights));
  ImportanceMatrix out;
  ImatrixObserver observer(&out);
  interpreter->set_linear_observer(&observer);
  for (size_t s = 0; s < sequences.size(); ++s) {
    const std::vector<int64_t>& ids = sequences[s];
    for (size_t at = 0; at < ids.size(); at += static_cast<size_t>(context)) {
      const size_t end = std::min(ids.size(), at + static_cast<size_t>(context));
      interpreter->reset();
      Status ran = interpreter->run(std::vector<int64_t>(ids.begin() + at, ids.begin() + end));
      if (!ran.ok()) return std::move(ran).error().with_context("calibration sequence " + std::to_string(s + 1));
      out.tokens += static_cast<int64_t>(end - at);
    }
    ++out.sequences;
  }
  return out;
}

Status save_imatrix(const ImportanceMatrix& imatrix, const std::string& path) {
  return write_text_file_atomic(path, encode_imatrix(imatrix));
}

Result<std::optional<ImportanceMatrix>> prepare_imatrix(const Model& model, const CalibrationOptions& options) {
  const bool calibrate = !options.text_file.empty() || !options.ids_file.empty();
  if (!options.text_file.empty() && !options.ids_file.empty()) {
    return Error(ErrorCode::kInvalidArgument, "--calibrate and --calibrate-ids: give one calibration file");
  }
  if (calibrate && !options.imatrix_file.empty()) {
    return Error(ErrorCode::kInvalidArgument, "--imatrix reuses saved statistics: give it or a calibration file, not both");
  }
  if (!options.save_file.empty() && !calibrate) {
    return Error(ErrorCode::kInvalidArgument, "--save-imatrix needs --calibrate FILE or --calibrate-ids FILE");
  }
  if (!options.enabled()) return std::optional<ImportanceMatrix>();
  if (!options.imatrix_file.empty()) {
    HFB_TRY(ImportanceMatrix imatrix, read_imatrix(options.imatrix_file));
    Status matches = check_imatrix_matches(imatrix, model.tensors);
    if (!matches.ok()) return std::move(matches).error().with_path(options.imatrix_file);
    return std::optional<ImportanceMatrix>(std::move(imatrix));
  }
  HFB_TRY(auto sequences, read_calibration_sequences(model.source, options));
  HFB_TRY(ImportanceMatrix imatrix, collect_imatrix(model, sequences, options.context));
  if (!options.save_file.empty()) HFB_TRY(save_imatrix(imatrix, options.save_file));
  return std::optional<ImportanceMatrix>(std::move(imatrix));
}

std::vector<float> calibration_weights(const ImportanceMatrix* imatrix, const TensorInfo& tensor,
                                       TensorDecision* decision) {
  if (imatrix == nullptr || decision->scheme == Scheme::kNone) return {};
  const auto [rows, cols] = matrix_view(tensor.shape);
  if (!calibration_applies(decision->scheme, rows, cols, decision->params)) return {};
  std::vector<float> weights = imatrix->column_weights(tensor.name, cols);
  decision->reason += weights.empty() ? "; not calibrated (no statistics: not a text linear's weight)"
                                      : "; calibrated (imatrix)";
  return weights;
}

}  // namespace hfb
