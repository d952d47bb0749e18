// Shape inference and validation for every op of the graph IR, run when a node is added.
#include <string>

#include "core/checked_math.h"
#include "core/graph.h"

namespace hfb {
namespace {

using Dims = std::vector<int64_t>;

Error shape_error(const Node& node, const std::string& what) {
  return Error(ErrorCode::kInvalidArgument,
               "graph: node '" + node.name + "' (" + std::string(op_type_name(node.op)) + "): " + what);
}

Status expect_inputs(const Node& node, const std::vector<const ValueInfo*>& in, size_t count, size_t required) {
  if (in.size() != count) {
    return shape_error(node, "expected " + std::to_string(count) + " inputs, got " + std::to_string(in.size()));
  }
  for (size_t i = 0; i < required; ++i) {
    if (!in[i]) return shape_error(node, "input " + std::to_string(i) + " is required");
  }
  return ok_status();
}

Status expect_dims(const Node& node, const ValueInfo& value, const Dims& expected) {
  if (value.dims != expected) {
    return shape_error(node, "input '" + value.name + "' has dims " + dims_to_string(value.dims) + ", expected " +
                                 dims_to_string(expected));
  }
  return ok_status();
}

Status expect_positions(const Node& node, const ValueInfo& value, int64_t length) {
  if (value.dtype != DTypeId::kI64) return shape_error(node, "'" + value.name + "' must be I64");
  return expect_dims(node, value, {length});
}

Result<Dims> infer_gather(const Node& node, const std::vector<const ValueInfo*>& in) {
  HFB_TRY(expect_inputs(node, in, 2, 2));
  if (in[0]->dims.size() != 2) return shape_error(node, "table must be rank 2, got " + dims_to_string(in[0]->dims));
  if (in[1]->dtype != DTypeId::kI64 || in[1]->dims.size() != 1) return shape_error(node, "ids must be I64 [L]");
  return Dims{in[1]->dims[0], in[0]->dims[1]};
}

Result<Dims> infer_linear(const Node& node, const std::vector<const ValueInfo*>& in) {
  HFB_TRY(expect_inputs(node, in, 2, 2));
  const Dims& x = in[0]->dims;
  const Dims& w = in[1]->dims;
  if (w.size() != 2 || x.empty() || x.back() != w[1]) {
    return shape_error(node, "x " + dims_to_string(x) + " does not match weight '" + in[1]->name + "' " +
                                 dims_to_string(w) + " ([out, in])");
  }
  Dims out = x;
  out.back() = w[0];
  return out;
}

Result<Dims> infer_binary(const Node& node, const std::vector<const ValueInfo*>& in) {
  HFB_TRY(expect_inputs(node, in, 2, 2));
  bool scalar_b = node.op == OpType::kMul && in[1]->dims == Dims{1};
  if (!scalar_b) HFB_TRY(expect_dims(node, *in[1], in[0]->dims));
  return in[0]->dims;
}

Result<Dims> infer_unary(const Node& node, const std::vector<const ValueInfo*>& in) {
  HFB_TRY(expect_inputs(node, in, 1, 1));
  return in[0]->dims;
}

Result<Dims> infer_rms_norm(const Node& node, const std::vector<const ValueInfo*>& in) {
  HFB_TRY(expect_inputs(node, in, 2, 1));
  if (in[0]->dims.empty()) return shape_error(node, "x must have rank >= 1");
  if (in[1]) HFB_TRY(expect_dims(node, *in[1], {in[0]->dims.back()}));
  if (node.attr_float("eps", -1.0) < 0.0) return shape_error(node, "attribute eps missing or negative");
  return in[0]->dims;
}

Result<Dims> infer_rope(const Node& node, const std::vector<const ValueInfo*>& in) {
  HFB_TRY(expect_inputs(node, in, 2, 2));
  const Dims& x = in[0]->dims;
  int64_t head_dim = node.attr_int("head_dim", 0);
  if (x.size() != 3 || x[2] != head_dim || head_dim % 2 != 0) {
    return shape_error(node, "x " + dims_to_string(x) + " must be [L, heads, head_dim=" + std::to_string(head_dim) +
                                 "] with an even head_dim");
  }
  std::string type = node.attr_string("rope_type", "");
  if (type != "default" && type != "proportional") return shape_error(node, "unknown rope_type '" + type + "'");
  double fraction = node.attr_float("partial_rotary_factor", 1.0);
  if (node.attr_float("theta", 0.0) <= 0.0 || fraction < 0.0 || fraction > 1.0) {
    return shape_error(node, "theta must be > 0 and partial_rotary_factor in [0, 1]");
  }
  HFB_TRY(expect_positions(node, *in[1], x[0]));
  return x;
}

Result<Dims> infer_attention(const Node& node, const std::vector<const ValueInfo*>& in) {
  HFB_TRY(expect_inputs(node, in, in.size() == 5 ? 5 : 4, 1));
  int64_t heads = node.attr_int("num_heads", 0);
  int64_t kv_heads = node.attr_int("num_kv_heads", 0);
  int64_t head_dim = node.attr_int("head_dim", 0);
  if (heads <= 0 || kv_heads <= 0 || head_dim <= 0 || heads % kv_heads != 0) {
    return shape_error(node, "num_heads must be a positive multiple of num_kv_heads, head_dim > 0");
  }
  int64_t length = in[0]->dims.empty() ? 0 : in[0]->dims[0];
  HFB_TRY(expect_dims(node, *in[0], {length, heads, head_dim}));
  bool has_state = !node.attr_string("state", "").empty();
  bool reads_only = has_state && node.attr_int("writes_state", 0) == 0;
  if (reads_only) {
    if (in[1] || in[2]) return shape_error(node, "a state reader takes no k/v inputs");
  } else {
    if (!in[1] || !in[2]) return shape_error(node, "k and v are required");
    HFB_TRY(expect_dims(node, *in[1], {length, kv_heads, head_dim}));
    HFB_TRY(expect_dims(node, *in[2], {length, kv_heads, head_dim}));
  }
  if (!in[3]) return shape_error(node, "positions are required");
  HFB_TRY(expect_positions(node, *in[3], length));
  if (node.attr_int("window", 0) < 0) return shape_error(node, "window must be >= 0");
  if (in.size() == 5 && in[4]) {
    if (in[4]->dtype != DTypeId::kF32) return shape_error(node, "block_ids must be F32 (token_blocks)");
    HFB_TRY(expect_dims(node, *in[4], {length}));
  }
  return in[0]->dims;
}

Result<int64_t> static_product(const Node& node, const Dims& dims, bool* symbolic) {
  int64_t product = 1;
  for (int64_t d : dims) {
    if (d == kSeqDim) {
      if (*symbolic) return shape_error(node, "at most one symbolic dim");
      *symbolic = true;
      continue;
    }
    if (d < 0) return shape_error(node, "negative dim in " + dims_to_string(dims));
    const auto next = checked_mul_i64(product, d);
    if (!next) return shape_error(node, "the product of " + dims_to_string(dims) + " overflows int64 (overflow)");
    product = *next;
  }
  return product;
}

// `shape` with every 0 replaced by the input's dim at that index (ONNX Reshape, allowzero = 0).
Result<Dims> resolve_reshape(const Node& node, const Dims& input) {
  Dims shape = node.attr_ints("shape");
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] != 0) continue;
    if (i >= input.size()) {
      return shape_error(node, "shape " + dims_to_string(shape) + " copies dim " + std::to_string(i) + " of " +
                                   dims_to_string(input) + ", which has no such dim");
    }
    shape[i] = input[i];
  }
  return shape;
}

Result<Dims> infer_reshape(const Node& node, const std::vector<const ValueInfo*>& in) {
  HFB_TRY(expect_inputs(node, in, 1, 1));
  HFB_TRY(Dims shape, resolve_reshape(node, in[0]->dims));
  bool in_symbolic = false, out_symbolic = false;
  HFB_TRY(int64_t in_count, static_product(node, in[0]->dims, &in_symbolic));
  HFB_TRY(int64_t out_count, static_product(node, shape, &out_symbolic));
  if (shape.empty() || in_symbolic != out_symbolic || in_count != out_count) {
    return shape_error(node, "cannot reshape " + dims_to_string(in[0]->dims) + " to " + dims_to_string(shape));
  }
  return shape;
}

Result<Dims> infer_slice(const Node& node, const std::vector<const ValueInfo*>& in) {
  HFB_TRY(expect_inputs(node, in, 1, 1));
  Dims dims = in[0]->dims;
  int64_t axis = node.attr_int("axis", -1);
  int64_t start = node.attr_int("start", 0);
  int64_t end = node.attr_int("end", 0);
  if (axis < 0 || axis >= static_cast<int64_t>(dims.size()) || dims[axis] == kSeqDim) {
    return shape_error(node, "axis " + std::to_string(axis) + " is not a static axis of " + dims_to_string(dims));
  }
  if (start < 0 || end <= start || end > dims[axis]) {
    return shape_error(node, "range [" + std::to_string(start) + ", " + std::to_string(end) + ") outside axis of " +
                                 std::to_string(dims[axis]));
  }
  dims[axis] = end - start;
  return dims;
}

Result<Dims> infer_concat(const Node& node, const std::vector<const ValueInfo*>& in) {
  if (in.empty()) return shape_error(node, "needs at least one input");
  for (const ValueInfo* value : in) {
    if (!value) return shape_error(node, "inputs are required");
  }
  Dims dims = in[0]->dims;
  int64_t axis = node.attr_int("axis", -1);
  if (axis < 0 || axis >= static_cast<int64_t>(dims.size()) || dims[axis] == kSeqDim) {
    return shape_error(node, "axis must be a static axis of " + dims_to_string(dims));
  }
  for (size_t i = 1; i < in.size(); ++i) {
    Dims other = in[i]->dims;
    if (other.size() != dims.size() || other[axis] == kSeqDim) return shape_error(node, "rank mismatch");
    int64_t extra = other[axis];
    other[axis] = dims[axis];
    if (other != dims) return shape_error(node, "input '" + in[i]->name + "' dims differ off the concat axis");
    dims[axis] += extra;
  }
  return dims;
}

}  // namespace

// Multimodal ops (core/graph_shapes_media.cpp).
Result<std::vector<int64_t>> infer_media_node_dims(const Node& node, const std::vector<const ValueInfo*>& inputs);
// MoE and token_blocks (core/graph_shapes_moe.cpp).
Result<std::vector<int64_t>> infer_moe_node_dims(const Node& node, const std::vector<const ValueInfo*>& inputs);

Result<std::vector<int64_t>> infer_node_dims(const Node& node, const std::vector<const ValueInfo*>& inputs) {
  switch (node.op) {
    case OpType::kGather: return infer_gather(node, inputs);
    case OpType::kLinear: return infer_linear(node, inputs);
    case OpType::kAdd:
    case OpType::kMul: return infer_binary(node, inputs);
    case OpType::kMulScalar:
    case OpType::kGeluTanh:
    case OpType::kSilu:
    case OpType::kClamp: return infer_unary(node, inputs);
    case OpType::kSoftcap:
      if (node.attr_float("cap", 0.0) <= 0.0) return shape_error(node, "cap must be > 0");
      return infer_unary(node, inputs);
    case OpType::kRmsNorm: return infer_rms_norm(node, inputs);
    case OpType::kRope: return infer_rope(node, inputs);
    case OpType::kAttention: return infer_attention(node, inputs);
    case OpType::kReshape: return infer_reshape(node, inputs);
    case OpType::kSlice: return infer_slice(node, inputs);
    case OpType::kConcat: return infer_concat(node, inputs);
    case OpType::kMoeRoute:
    case OpType::kMoeExperts:
    case OpType::kTokenBlocks: return infer_moe_node_dims(node, inputs);
    case OpType::kCount: break;
    default: return infer_media_node_dims(node, inputs);
  }
  return shape_error(node, "unknown op");
}

}  // namespace hfb
