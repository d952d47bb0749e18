// kv-shared-tail-strip: match by Role + layer + the config's kv_shared_from, never by name.
#include "passes/kv_shared_tail_strip.h"

#include <map>

#include "passes/graph_edit.h"

namespace hfb {
namespace {

bool is_kv_weight(Role role) {
  return role == Role::kAttnK || role == Role::kAttnV || role == Role::kAttnKNorm ||
         role == Role::kAttnVNorm;
}

Error refuse(const TensorInfo& t, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "kv-shared-tail-strip: " + why).with_tensor(t.name);
}

}  // namespace

Result<PassReport> KvSharedTailStripPass::run(PassContext& context) const {
  Model& model = *context.model;
  const std::vector<TextLayerSpec>& layers = model.config.text.layers;
  std::map<std::string, std::string> reasons;
  for (const TensorInfo& t : model.tensors.tensors()) {
    if (t.tower != Tower::kText || t.layer < 0 || !is_kv_weight(t.role)) continue;
    if (t.layer >= static_cast<int>(layers.size())) {
      return refuse(t, "tensor is assigned to decoder layer " + std::to_string(t.layer) +
                           " but the config has " + std::to_string(layers.size()) + " layers");
    }
    const int producer = layers[t.layer].kv_shared_from;
    if (producer < 0) continue;
    if (t.used) {
      return refuse(t, std::string(role_name(t.role)) + " of KV-shared layer " +
                           std::to_string(t.layer) + " is marked used, but the layer reads layer " +
                           std::to_string(producer) + "'s K/V; the reader and config disagree");
    }
    reasons[t.name] = "KV-shared layer " + std::to_string(t.layer) + " reads layer " +
                      std::to_string(producer) + "'s K/V";
  }
  return remove_tensors_and_dead_code(context, reasons, name());
}

}  // namespace hfb
