// Shape inference and validation of the Mixture-of-Experts ops (moe_route, moe_experts) and token_blocks.
#include <string>

#include "core/graph.h"

namespace hfb {
namespace {

using Dims = std::vector<int64_t>;

Error moe_error(const Node& node, const std::string& what) {
  return Error(ErrorCode::kInvalidArgument,
               "graph: node '" + node.name + "' (" + std::string(op_type_name(node.op)) + "): " + what);
}

Status expect_present(const Node& node, const std::vector<const ValueInfo*>& in, size_t count) {
  if (in.size() != count) {
    return moe_error(node, "expected " + std::to_string(count) + " inputs, got " + std::to_string(in.size()));
  }
  for (size_t i = 0; i < count; ++i) {
    if (!in[i]) return moe_error(node, "input " + std::to_string(i) + " is required");
  }
  return ok_status();
}

Status expect_shape(const Node& node, const ValueInfo& value, const Dims& expected, const char* what) {
  if (value.dims != expected) {
    return moe_error(node, std::string(what) + " '" + value.name + "' has dims " + dims_to_string(value.dims) +
                               ", expected " + dims_to_string(expected));
  }
  return ok_status();
}

Result<Dims> infer_moe_route(const Node& node, const std::vector<const ValueInfo*>& in) {
  HFB_TRY(expect_present(node, in, 2));
  const Dims& logits = in[0]->dims;
  if (logits.size() != 2 || logits[1] <= 0) {
    return moe_error(node, "logits must be [L, num_experts], got " + dims_to_string(logits));
  }
  HFB_TRY(expect_shape(node, *in[1], {logits[1]}, "per_expert_scale"));
  const int64_t top_k = node.attr_int("top_k", 0);
  if (top_k <= 0 || top_k > logits[1]) {
    return moe_error(node, "top_k " + std::to_string(top_k) + " outside [1, " + std::to_string(logits[1]) + "]");
  }
  return Dims{logits[0], 2 * top_k};
}

Result<Dims> infer_moe_experts(const Node& node, const std::vector<const ValueInfo*>& in) {
  HFB_TRY(expect_present(node, in, 4));
  const Dims& x = in[0]->dims;
  const Dims& gate_up = in[2]->dims;
  if (x.size() != 2) return moe_error(node, "x must be [L, hidden], got " + dims_to_string(x));
  if (gate_up.size() != 3 || gate_up[0] <= 0 || gate_up[1] <= 0 || gate_up[1] % 2 != 0 || gate_up[2] != x[1]) {
    return moe_error(node, "gate_up '" + in[2]->name + "' has dims " + dims_to_string(gate_up) +
                               ", expected [experts, 2*intermediate, " + std::to_string(x[1]) + "]");
  }
  const int64_t experts = gate_up[0];
  const int64_t intermediate = gate_up[1] / 2;
  HFB_TRY(expect_shape(node, *in[3], {experts, x[1], intermediate}, "down"));
  const int64_t top_k = node.attr_int("top_k", 0);
  if (top_k <= 0 || top_k > experts) {
    return moe_error(node, "top_k " + std::to_string(top_k) + " outside [1, " + std::to_string(experts) + "]");
  }
  HFB_TRY(expect_shape(node, *in[1], {x[0], 2 * top_k}, "routing"));
  const std::string activation = node.attr_string("activation", "");
  if (activation != "gelu_tanh" && activation != "silu") {
    return moe_error(node, "activation '" + activation + "' is not gelu_tanh or silu");
  }
  return x;
}

Result<Dims> infer_token_blocks(const Node& node, const std::vector<const ValueInfo*>& in) {
  HFB_TRY(expect_present(node, in, 1));
  if (in[0]->dtype != DTypeId::kI64 || in[0]->dims.size() != 1) return moe_error(node, "ids must be I64 [L]");
  if (node.attr_ints("token_ids").empty()) return moe_error(node, "attribute token_ids is empty");
  return in[0]->dims;
}

}  // namespace

Result<std::vector<int64_t>> infer_moe_node_dims(const Node& node, const std::vector<const ValueInfo*>& inputs) {
  switch (node.op) {
    case OpType::kMoeRoute: return infer_moe_route(node, inputs);
    case OpType::kMoeExperts: return infer_moe_experts(node, inputs);
    case OpType::kTokenBlocks: return infer_token_blocks(node, inputs);
    default: return moe_error(node, "not a MoE op");
  }
}

}  // namespace hfb
