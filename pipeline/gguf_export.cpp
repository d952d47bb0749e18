// convert_checkpoint_to_gguf: checkpoint -> export plan (names, types, metadata, tokenizer) -> streamed GGUF files.
#include "pipeline/gguf_export.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "core/byte_source.h"
#include "core/limits.h"
#include "models/model_family.h"
#include "models/load_checkpoint.h"
#include "pipeline/gguf_export_internal.h"
#include "pipeline/gguf_tokenizer.h"
#include "pipeline/model_source.h"
#include "readers/gguf.h"

namespace hfb {
namespace {

using namespace gguf_export_detail;

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string dir_of(const std::string& source) {
  struct stat st {};
  if (::stat((source + "/config.json").c_str(), &st) == 0) return source;
  const size_t slash = source.rfind('/');
  return slash == std::string::npos ? std::string(".") : source.substr(0, slash);
}

}  // namespace

namespace gguf_export_detail {

GgufCoverageEntry dropped(const TensorInfo& t, std::string reason) {
  GgufCoverageEntry e;
  e.source_name = t.name;
  e.file = "dropped";
  e.role = t.role;
  e.reason = std::move(reason);
  e.bytes_before = t.num_bytes;
  return e;
}

}  // namespace gguf_export_detail

namespace {

/// The recipe recorded as general.quantization_recipe.
std::string recipe_of(const GgufExportOptions& options) {
  std::string recipe = "--quant " + options.policy.quant;
  for (const auto& [pattern, scheme] : options.policy.tensor_types) {
    recipe += " --tensor-type " + pattern + "=" + std::string(scheme_name(scheme));
  }
  for (const auto& [role, scheme] : options.policy.role_types) {
    recipe += " --role-type " + std::string(role_name(role)) + "=" + std::string(scheme_name(scheme));
  }
  return recipe;
}

/// image_mean / image_std from preprocessor_config.json or processor_config.json (0 / 1 when absent, as the
/// converter stages them).
MmprojExtras mmproj_extras(const std::string& dir) {
  MmprojExtras extras;
  for (const char* file : {"preprocessor_config.json", "processor_config.json"}) {
    auto text = read_small_file(dir + "/" + file, limits().max_config_bytes, "config_bytes");
    if (!text.ok()) continue;
    const auto json = nlohmann::json::parse(*text, nullptr, false);
    if (!json.is_object()) continue;
    const nlohmann::json& block = json.contains("image_processor") ? json["image_processor"] : json;
    for (const auto& [key, out] : {std::pair{"image_mean", &extras.image_mean}, std::pair{"image_std", &extras.image_std}}) {
      const auto it = block.find(key);
      if (it == block.end() || !it->is_array() || it->size() != 3) continue;
      for (size_t i = 0; i < 3; ++i) {
        if ((*it)[i].is_number()) (*out)[i] = (*it)[i].get<float>();
      }
    }
    break;
  }
  return extras;
}

/// Plans one checkpoint tensor (or records why it is dropped). Refusals are collected, not returned.
Status plan_tensor(const Model& model, const TensorInfo& t, const GgufPolicy& policy, const GgufExportOptions& options,
                   GgufPlan* plan, std::vector<std::string>* refused) {
  if (!t.used) {
    plan->dropped.push_back(dropped(t, "unused (" + t.unused_reason + "): not claimed by llama.cpp's loader"));
    return ok_status();
  }
  HFB_TRY(const GgufExportTables* tables, gguf_export_tables_for(model.config));
  const auto name = tables->gguf_name_for(model.config, t.name);
  if (!name) {
    plan->dropped.push_back(dropped(t, "no GGUF counterpart in llama.cpp's gemma4 / clip loaders"));
    return ok_status();
  }
  if (name->file == GgufFileKind::kMmproj && options.mmproj_out.empty()) {
    plan->dropped.push_back(dropped(t, "tower tensor: no --mmproj-out given"));
    return ok_status();
  }
  const auto ne = gguf_ne_for(name->transform, t.shape);
  if (!ne) return Error(ErrorCode::kInternal, "shape " + t.shape.to_string() + " does not fit its GGUF layout").with_tensor(t.name);
  auto decision = policy.decide(t, *name, *ne);
  if (!decision.ok()) {
    refused->push_back(t.name + " (" + decision.error().message + ")");
    return ok_status();
  }
  HFB_TRY(PlannedTensor p, plan_from_float(t, *name, *ne, *decision, options));
  (name->file == GgufFileKind::kText ? plan->model : plan->mmproj).push_back(std::move(p));
  return ok_status();
}

}  // namespace

namespace gguf_export_detail {

Status plan_rope_freqs(const ModelConfig& config, GgufPlan* plan) {
  HFB_TRY(const GgufExportTables* tables, gguf_export_tables_for(config));
  std::vector<float> values = tables->rope_freqs(config);
  if (values.empty()) return ok_status();
  PlannedTensor p;
  p.coverage.gguf_name = kRopeFreqsName;
  p.coverage.file = "model";
  p.coverage.type = "F32";
  p.coverage.reason = "synthesised for proportional RoPE on full-attention layers (F32, as llama.cpp requires)";
  p.ne = {static_cast<int64_t>(values.size())};
  p.type = gguf::GgmlType::kF32;
  auto bytes = std::make_shared<std::vector<uint8_t>>(encode_values(values, gguf::GgmlType::kF32));
  p.produce = [bytes](const ByteSink& sink, const BytesDone&) -> Result<std::optional<QuantMetrics>> {
    HFB_TRY(sink(bytes->data(), bytes->size()));
    return std::optional<QuantMetrics>();
  };
  plan->model.insert(plan->model.begin(), std::move(p));
  return ok_status();
}

Status check_outputs(const GgufExportOptions& options) {
  if (options.out.empty()) return Error(ErrorCode::kInvalidArgument, "--format gguf needs -o OUT.gguf");
  for (const std::string* path : {&options.out, &options.mmproj_out}) {
    if (!path->empty() && !options.force && file_exists(*path)) {
      return Error(ErrorCode::kInvalidArgument, "output exists (use --force to replace it)").with_path(*path);
    }
  }
  if (options.out == options.mmproj_out) {
    return Error(ErrorCode::kInvalidArgument, "-o and --mmproj-out name the same file").with_path(options.out);
  }
  return ok_status();
}

Error refusal(const std::vector<std::string>& refused) {
  std::string list;
  for (size_t i = 0; i < refused.size() && i < 8; ++i) list += (i ? "; " : "") + refused[i];
  if (refused.size() > 8) list += "; and " + std::to_string(refused.size() - 8) + " more";
  return Error(ErrorCode::kInvalidArgument, "--format gguf: " + std::to_string(refused.size()) +
                                                " tensor(s) asked for a scheme with no ggml type: " + list);
}

Status plan_metadata(const MetadataSource& model, const GgufPolicy& policy, const GgufExportOptions& options,
                     GgufPlan* plan) {
  const std::string& dir = model.dir;
  const std::string& name = model.name;
  HFB_TRY(const GgufExportTables* tables, gguf_export_tables_for(model.config));
  const gguf::Metadata text = tables->text_metadata(model.config);
  plan->model_metadata.push_back(text.front());  // general.architecture first
  for (auto& kv : general_metadata("model", name, policy.file_type(), model.source_repo, model.source_revision,
                                   recipe_of(options))) {
    plan->model_metadata.push_back(std::move(kv));
  }
  plan->model_metadata.insert(plan->model_metadata.end(), text.begin() + 1, text.end());
  GgufTokenizerResult tok;
  if (model.tokenizer_keys) {
    tok.metadata = *model.tokenizer_keys;
  } else {
    HFB_TRY(tok, gguf_tokenizer_metadata(model.tokenizer_dir, model.config.text.vocab_size, model.config.generation));
  }
  plan->model_metadata.insert(plan->model_metadata.end(), tok.metadata.begin(), tok.metadata.end());
  plan->tokenizer_synthesised = tok.synthesised;
  plan->warnings.insert(plan->warnings.end(), tok.warnings.begin(), tok.warnings.end());
  if (auto problem = tables->llamacpp_problem(model.config)) plan->warnings.push_back(*problem);
  if (options.mmproj_out.empty()) {
    if (model.config.vision || model.config.audio) {
      plan->warnings.push_back("the checkpoint has vision/audio towers: give --mmproj-out FILE to export them");
    }
    return ok_status();
  }
  if (!model.config.vision && !model.config.audio) {
    return Error(ErrorCode::kInvalidArgument, "--mmproj-out: the model has no vision or audio tower")
        .with_path(options.source);
  }
  const gguf::Metadata mm =
      tables->mmproj_metadata(model.config, model.mmproj_extras ? *model.mmproj_extras : mmproj_extras(dir));
  plan->mmproj_metadata.push_back(mm.front());
  for (auto& kv : general_metadata("mmproj", name, policy.file_type(), model.source_repo, model.source_revision,
                                   recipe_of(options))) {
    plan->mmproj_metadata.push_back(std::move(kv));
  }
  for (size_t i = 1; i < mm.size(); ++i) {
    if (mm[i].first != "general.type") plan->mmproj_metadata.push_back(mm[i]);
  }
  return ok_status();
}

}  // namespace gguf_export_detail

Result<GgufExportResult> convert_checkpoint_to_gguf(const GgufExportOptions& options) {
  HFB_TRY(GgufPolicy policy, GgufPolicy::create(options.policy));
  HFB_TRY(check_outputs(options));
  HFB_TRY(Model model, load_model_source(options.source, options.model_source));
  GgufPlan plan;
  std::vector<std::string> refused;
  for (const TensorInfo& t : model.tensors.tensors()) HFB_TRY(plan_tensor(model, t, policy, options, &plan, &refused));
  if (!refused.empty()) return refusal(refused);
  HFB_TRY(plan_rope_freqs(model.config, &plan));
  MetadataSource source{model.config, display_name(model.source_repo.empty() ? dir_of(model.source) : model.source_repo),
                        dir_of(model.source), dir_of(model.source), model.source_repo, model.source_revision, std::nullopt,
                        std::nullopt};
  if (is_gguf_path(options.source)) {  // the vocabulary the GGUF carries, as it is
    HFB_TRY(GgufFile file, read_gguf(options.source));
    source.tokenizer_keys.emplace();
    for (const auto& kv : file.metadata) {
      if (kv.first.rfind("tokenizer.", 0) == 0) source.tokenizer_keys->push_back(kv);
    }
  }
  if (!options.model_source.mmproj_path.empty()) {  // the source mmproj's normalisation, as it is
    HFB_TRY(GgufFile mmproj, read_gguf(options.model_source.mmproj_path));
    source.mmproj_extras.emplace();
    for (const auto& [key, out] : {std::pair{"clip.vision.image_mean", &source.mmproj_extras->image_mean},
                                   std::pair{"clip.vision.image_std", &source.mmproj_extras->image_std}}) {
      const gguf::Value* v = mmproj.find(key);
      for (uint64_t i = 0; v != nullptr && i < 3 && i < v->count(); ++i) {
        (*out)[i] = static_cast<float>(v->float_at(i).value_or((*out)[i]));
      }
    }
  }
  HFB_TRY(plan_metadata(source, policy, options, &plan));
  GgufExportResult result;
  HFB_TRY(write_plan(options, &plan, &result));
  return result;
}

}  // namespace hfb
