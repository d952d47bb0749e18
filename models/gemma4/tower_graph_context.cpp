// TowerGraphContext: initializers, node emission and clipped linears for the Gemma 4 tower builders.
#include "models/gemma4/tower_graph_context.h"

#include <utility>

namespace hfb {

Result<std::string> TowerGraphContext::tensor(const std::string& name) {
  const TensorInfo* info = tensors_->find(name);
  if (!info) return Error(ErrorCode::kNotFound, "gemma4 tower graph: required tensor is missing").with_tensor(name);
  if (!info->used) {
    return Error(ErrorCode::kInvalidArgument, "gemma4 tower graph: tensor needed by the graph is flagged unused (" +
                                                  info->unused_reason + ")")
        .with_tensor(name);
  }
  if (!graph_->find_value(name)) {
    HFB_TRY(graph_->add_initializer(name, *info));
    consumed_.push_back(name);
  }
  return name;
}

Result<std::string> TowerGraphContext::weight(const std::string& suffix) { return tensor(prefix_ + suffix); }

bool TowerGraphContext::has(const std::string& suffix) const {
  const TensorInfo* info = tensors_->find(prefix_ + suffix);
  return info && info->used;
}

Result<std::string> TowerGraphContext::op(OpType type, std::vector<std::string> inputs, Attributes attrs,
                                          const std::string& out) {
  HFB_TRY(graph_->add_node(type, out, std::move(inputs), std::move(attrs), out));
  return out;
}

Result<std::string> TowerGraphContext::bound(const std::string& module, const char* which) {
  std::string suffix = module + "." + which;
  const TensorInfo* info = tensors_->find(prefix_ + suffix);
  if (info && !info->used && force_bounds_) {
    if (!graph_->find_value(info->name)) HFB_TRY(graph_->add_initializer(info->name, *info));
    return info->name;
  }
  if (!has(suffix)) return std::string();  // flag true, bound missing: +-inf (HF keeps its init value)
  return weight(suffix);
}

Result<std::string> TowerGraphContext::clipped_linear(const std::string& x, const std::string& module,
                                                      const std::string& out) {
  HFB_TRY(std::string w, weight(module + ".linear.weight"));
  if (!clipped_) return op(OpType::kLinear, {x, w}, {}, out);
  HFB_TRY(std::string in_min, bound(module, "input_min"));
  HFB_TRY(std::string in_max, bound(module, "input_max"));
  HFB_TRY(std::string out_min, bound(module, "output_min"));
  HFB_TRY(std::string out_max, bound(module, "output_max"));
  HFB_TRY(auto clipped_in, op(OpType::kClip, {x, in_min, in_max}, {}, out + ".in"));
  HFB_TRY(auto raw, op(OpType::kLinear, {clipped_in, w}, {}, out + ".raw"));
  return op(OpType::kClip, {raw, out_min, out_max}, {}, out);
}

}  // namespace hfb
