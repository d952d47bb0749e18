// Checks a checkpoint's tensor table against the expected Gemma 4 tensor list and assigns roles.
#include "models/gemma4/gemma4_tensors.h"

#include <map>

namespace hfb {
namespace {

std::string file_of(const TensorInfo& info) { return info.source ? info.source->path() : std::string(); }

std::string architecture_of(const ModelConfig& config) {
  return config.architecture.empty() ? std::string("Gemma 4") : config.architecture;
}

/// A hint when an unknown name belongs to the other Gemma 4 layout or to a tower the config lacks.
std::string unknown_hint(const ModelConfig& config, const std::string& name) {
  auto starts = [&](const char* prefix) { return name.rfind(prefix, 0) == 0; };
  if (starts("model.language_model.") && config.model_type != "gemma4") {
    return " (a Gemma4ForConditionalGeneration name, but the config is " + architecture_of(config) + ")";
  }
  if (starts("model.audio_tower.") && !config.audio) return " (the config has no audio_config)";
  if (starts("model.vision_tower.") && !config.vision) return " (the config has no vision_config)";
  return "";
}

Status check_one(const ExpectedTensor& expected, const TensorInfo& info, const TensorCheckOptions& options) {
  const DTypeId id = info.dtype.id();
  const bool ggml_block = id == DTypeId::kQ4_0 || id == DTypeId::kQ8_0;
  if (id != DTypeId::kF32 && id != DTypeId::kF16 && id != DTypeId::kBF16 && !(ggml_block && options.allow_ggml_blocks)) {
    return Error(ErrorCode::kUnsupported,
                 "dtype " + std::string(info.dtype.name()) +
                     " is not supported for a checkpoint weight (F32, F16, BF16)")
        .with_path(file_of(info))
        .with_tensor(info.name);
  }
  if (info.shape != expected.shape) {
    return Error(ErrorCode::kInvalidFile, "shape " + info.shape.to_string() + ", expected " +
                                              expected.shape.to_string() + " (from " + options.config_name + ": " +
                                              expected.shape_source + ")")
        .with_path(file_of(info))
        .with_tensor(info.name);
  }
  return ok_status();
}

void assign(const ExpectedTensor& expected, TensorInfo* info) {
  info->role = expected.role;
  info->tower = expected.tower;
  info->layer = expected.layer;
  info->used = expected.presence != TensorPresence::kUnused;
  info->unused_reason = info->used ? std::string() : expected.unused_reason;
}

/// One warning per tower whose use_clipped_linears is true but which lacks some clip bounds.
void warn_missing_clip_bounds(const std::vector<const ExpectedTensor*>& missing, std::vector<Diagnostic>* diagnostics,
                              const std::vector<ExpectedTensor>& all) {
  if (!diagnostics) return;
  for (Tower tower : {Tower::kText, Tower::kAudio, Tower::kVision}) {
    size_t count = 0;
    size_t total = 0;
    const ExpectedTensor* first = nullptr;
    for (const ExpectedTensor* t : missing) {
      if (t->tower != tower) continue;
      if (!first) first = t;
      ++count;
    }
    for (const ExpectedTensor& t : all) total += t.tower == tower && t.presence == TensorPresence::kClipBound;
    if (count == 0) continue;
    const std::string name(tower_name(tower));
    diagnostics->push_back(
        {Diagnostic::Severity::kWarning,
         name + "_config.use_clipped_linears is true but " + std::to_string(count) + " of " + std::to_string(total) +
             " clip bounds are missing: those linears are not clipped (+-inf, as HF does); first missing: " +
             first->name,
         first->name});
  }
}

}  // namespace

Status assign_gemma4_roles(const ModelConfig& config, TensorTable* tensors, std::vector<Diagnostic>* diagnostics,
                           const TensorCheckOptions& options) {
  const std::vector<ExpectedTensor> expected = expected_gemma4_tensors(config);
  std::map<std::string, const ExpectedTensor*> by_name;
  for (const ExpectedTensor& t : expected) by_name.emplace(t.name, &t);
  std::map<std::string, bool> seen;
  for (TensorInfo& info : tensors->tensors_mutable()) {
    auto it = by_name.find(info.name);
    if (it == by_name.end()) {
      return Error(ErrorCode::kInvalidFile, "not a tensor of " + architecture_of(config) + " with this " +
                                                options.config_name + unknown_hint(config, info.name))
          .with_path(file_of(info))
          .with_tensor(info.name);
    }
    HFB_TRY(check_one(*it->second, info, options));
    assign(*it->second, &info);
    seen[info.name] = true;
  }
  std::vector<const ExpectedTensor*> missing_bounds;
  for (const ExpectedTensor& t : expected) {
    if (seen.count(t.name)) continue;
    if (t.presence == TensorPresence::kClipBound) {
      missing_bounds.push_back(&t);
    } else if (t.presence == TensorPresence::kRequired) {
      return Error(ErrorCode::kNotFound, "checkpoint lacks this tensor (expected " + t.shape.to_string() + " from " +
                                             options.config_name + ": " + t.shape_source + ")")
          .with_path(options.checkpoint)
          .with_tensor(t.name);
    }
  }
  warn_missing_clip_bounds(missing_bounds, diagnostics, expected);
  return ok_status();
}

}  // namespace hfb
