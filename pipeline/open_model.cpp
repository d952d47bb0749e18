// Opening a model for run/verify: MODEL path -> loaded checkpoint -> reference-runtime Session.
#include "pipeline/open_model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/byte_source.h"
#include "core/limits.h"
#include "models/load_checkpoint.h"
#include "models/model_family.h"
#include "pipeline/bundle_session.h"
#include "pipeline/multimodal_session.h"
#include "readers/prompt_ids.h"
#include "readers/tokenizer/text_tokenizer.h"
#include "runtime/graph_session.h"
#include "validators/golden_record.h"
#include "validators/golden_write.h"
#include "pipeline/media_inputs.h"

namespace hfb {

Result<std::unique_ptr<Session>> make_session(const Model& model) {
  if (model.config.audio || model.config.vision) return make_multimodal_session(model);  // towers + merge
  HFB_TRY(Graph graph, build_text_graph(model.config, model.tensors));
  return make_session(model, graph);
}

Result<ModelSession> open_model_session(const Model& model) {
  ModelSession out;
  // Models with towers run on the multimodal session; text-only ones on the plain text graph.
  if (model.config.audio || model.config.vision) {
    HFB_TRY(out.session, make_multimodal_session(model));
  } else {
    HFB_TRY(out.session, make_session(model));
  }
  out.session = refuse_unavailable_media(model, std::move(out.session));
  set_session_token_ids(model.config, &out);
  out.source = model.source;
  return out;
}

void set_session_token_ids(const ModelConfig& config, ModelSession* out) {
  out->eos_ids.clear();
  for (int id : config.generation.eos_token_ids) out->eos_ids.push_back(id);
  out->bos_id = config.generation.bos_token_id;
  out->reserved_ids = out->eos_ids;
  for (int id : {config.generation.bos_token_id, config.generation.pad_token_id, config.image_token_id,
                 config.audio_token_id, config.video_token_id}) {
    if (id >= 0) out->reserved_ids.push_back(id);
  }
}

Result<ModelSession> open_model_session(const std::string& path, bool check_checksums,
                                        const ModelSourceOptions& source) {
  if (is_bundle_path(path)) {
    BundleReadOptions read;
    read.check = check_checksums ? BundleCheck::kChecksums : BundleCheck::kStructure;
    return open_bundle_session(path, read);
  }
  HFB_TRY(Model model, load_model_source(path, source));
  HFB_TRY(ModelSession out, open_model_session(model));
  std::vector<std::shared_ptr<const ByteSource>> sources;
  for (const TensorInfo& t : model.tensors.tensors()) {
    if (t.source && std::find(sources.begin(), sources.end(), t.source) == sources.end()) sources.push_back(t.source);
  }
  out.check_inputs = [sources]() -> Status {
    for (const auto& mapped : sources) HFB_TRY(mapped->check_intact());
    return ok_status();
  };
  out.source = path;
  return out;
}

Result<ParityReport> verify_model(const std::string& model_path, const std::string& golden_dir,
                                  VerifyOptions options, const ModelSourceOptions& source) {
  HFB_TRY(Golden golden, load_golden(golden_dir));
  HFB_TRY(Golden selected, select_golden_cases(std::move(golden), options.cases));
  options.cases.clear();  // already applied
  if (options.model.empty()) options.model = model_path;
  HFB_TRY(ModelSession model, open_model_session(model_path, options.check_checksums, source));
  HFB_TRY(ParityReport report, verify_against_golden(*model.session, selected, options));
  HFB_TRY(model.check_inputs());
  report.chunks = model.chunks;
  return report;
}

Result<std::vector<std::vector<int64_t>>> tokenize_prompt_file(const std::string& tokenizer_source,
                                                               const std::string& file) {
  HFB_TRY(tokenizer::TextTokenizer text, tokenizer::load_text_tokenizer(tokenizer_source));
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(ErrorCode::kNotFound, "cannot open the prompt file").with_path(file);
  std::vector<std::vector<int64_t>> prompts;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    HFB_TRY(std::vector<int32_t> ids, text.tokenizer.encode(line, true));
    prompts.emplace_back(ids.begin(), ids.end());
  }
  if (prompts.empty()) return Error(ErrorCode::kInvalidArgument, "the prompt file has no prompts").with_path(file);
  return prompts;
}

Result<std::vector<std::vector<int64_t>>> read_prompt_ids_file(const std::string& file) {
  HFB_TRY(std::string text, read_small_file(file, limits().max_prompt_file_bytes, "prompt_file_bytes"));
  auto prompts = parse_prompt_lines(text);
  if (!prompts.ok()) return std::move(prompts).error().with_path(file);
  Status counted = check_limit("prompt count", prompts->size(), limits().max_prompts, "prompts");
  if (!counted.ok()) return std::move(counted).error().with_path(file);
  return prompts;
}

namespace {

Result<std::vector<std::vector<int64_t>>> against_prompts(const AgainstOptions& against, const ModelSession& ref) {
  if (!against.prompts_file.empty()) return tokenize_prompt_file(against.reference_path, against.prompts_file);
  if (!against.prompt_ids_file.empty()) return read_prompt_ids_file(against.prompt_ids_file);
  if (against.random_prompts < 1) return Error(ErrorCode::kInvalidArgument, "--random-prompts must be >= 1");
  HFB_TRY(check_limit("--random-prompts", static_cast<uint64_t>(against.random_prompts), limits().max_prompts,
                      "prompts"));
  auto prompts = random_prompts(against.random_prompts, against.seed, ref.session->vocab_size(), ref.bos_id,
                                ref.reserved_ids);
  if (prompts.empty()) return Error(ErrorCode::kInvalidArgument, "no token ids left to draw prompts from");
  return prompts;
}

}  // namespace

Result<ParityReport> verify_model_against(const std::string& model_path, const AgainstOptions& against,
                                          VerifyOptions options) {
  HFB_TRY(ModelSession reference, open_model_session(against.reference_path));
  HFB_TRY(auto prompts, against_prompts(against, reference));
  GoldenRecordOptions record;
  record.steps = against.steps;
  record.eos_ids = reference.eos_ids;
  record.label = against.reference_path;
  record.on_progress = options.on_progress;  // the reference's pass draws the same progress line
  std::optional<PreparedMedia> media;
  if (!against.audio_path.empty() || !against.image_path.empty()) {
    HFB_TRY(media, media_for_prompts(against.reference_path, against.audio_path, against.image_path,
                                     against.max_soft_tokens, &prompts));
    record.media = &media->inputs;
    record.media_kind = media_kind_of(*media);
  }
  HFB_TRY(Golden golden, record_golden(*reference.session, prompts, record));
  if (!against.save_golden_dir.empty()) HFB_TRY(save_golden(golden, against.save_golden_dir));
  reference.session.reset();  // free the reference's weights before loading the model
  HFB_TRY(Golden selected, select_golden_cases(std::move(golden), options.cases));
  options.cases.clear();
  if (options.model.empty()) options.model = model_path;
  HFB_TRY(ModelSession model, open_model_session(model_path, options.check_checksums));
  HFB_TRY(ParityReport report, verify_against_golden(*model.session, selected, options));
  HFB_TRY(model.check_inputs());
  report.chunks = model.chunks;
  return report;
}

}  // namespace hfb
