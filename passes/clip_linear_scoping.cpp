// clip-linear-scoping: match by Role::kClipBound + Tower, never by name patterns (the reference's
// own `layers.{i}.self_attn.k_proj` regex also matches tower layers; see gemma4-reference.md).
#include "passes/clip_linear_scoping.h"

#include <map>
#include <optional>

#include "passes/graph_edit.h"

namespace hfb {
namespace {

/// The tower's use_clipped_linears, or nullopt when the config has no such tower.
std::optional<bool> tower_clips(const ModelConfig& config, Tower tower) {
  if (tower == Tower::kAudio && config.audio) return config.audio->use_clipped_linears;
  if (tower == Tower::kVision && config.vision) return config.vision->use_clipped_linears;
  return std::nullopt;
}

Error refuse(ErrorCode code, const TensorInfo& t, const std::string& why) {
  return Error(code, "clip-linear-scoping: " + why).with_tensor(t.name);
}

}  // namespace

Result<PassReport> ClipLinearScopingPass::run(PassContext& context) const {
  Model& model = *context.model;
  std::map<std::string, std::string> reasons;
  for (const TensorInfo& t : model.tensors.tensors()) {
    if (t.role != Role::kClipBound) continue;
    const std::string tower(tower_name(t.tower));
    if (t.tower == Tower::kText) {
      return refuse(ErrorCode::kUnsupported, t, "a clip bound in the text tower is not understood");
    }
    std::optional<bool> clips = tower_clips(model.config, t.tower);
    if (!clips) {
      return refuse(ErrorCode::kUnsupported, t,
                    "clip bound of the " + tower + " tower, but the config has no " + tower +
                        " tower");
    }
    if (*clips) continue;
    if (t.used) {
      return refuse(ErrorCode::kInvalidArgument, t,
                    "clip bound marked used although " + tower +
                        " use_clipped_linears is false; the reader and config disagree");
    }
    reasons[t.name] = tower + " use_clipped_linears is false";
  }
  return remove_tensors_and_dead_code(context, reasons, name());
}

}  // namespace hfb
