// Shape inference and validation for the multimodal ops (audio conformer, vision encoder, merge).
#include <string>

#include "core/graph.h"

namespace hfb {
namespace {

using Dims = std::vector<int64_t>;
using Inputs = std::vector<const ValueInfo*>;

Error media_error(const Node& node, const std::string& what) {
  return Error(ErrorCode::kInvalidArgument,
               "graph: node '" + node.name + "' (" + std::string(op_type_name(node.op)) + "): " + what);
}

Status need(const Node& node, const Inputs& in, size_t count, size_t required) {
  if (in.size() != count) {
    return media_error(node, "expected " + std::to_string(count) + " inputs, got " + std::to_string(in.size()));
  }
  for (size_t i = 0; i < required; ++i) {
    if (!in[i]) return media_error(node, "input " + std::to_string(i) + " is required");
  }
  return ok_status();
}

Status same(const Node& node, const ValueInfo& value, const Dims& expected) {
  if (value.dims != expected) {
    return media_error(node, "input '" + value.name + "' has dims " + dims_to_string(value.dims) + ", expected " +
                                 dims_to_string(expected));
  }
  return ok_status();
}

Status static_rank(const Node& node, const ValueInfo& value, size_t rank) {
  if (value.dims.size() != rank) {
    return media_error(node, "input '" + value.name + "' must have rank " + std::to_string(rank) + ", got " +
                                 dims_to_string(value.dims));
  }
  for (int64_t d : value.dims) {
    if (d < 0) return media_error(node, "input '" + value.name + "' must have static dims");
  }
  return ok_status();
}

Status positions_2d(const Node& node, const ValueInfo& value, int64_t rows) {
  if (value.dtype != DTypeId::kI64 || value.dims != Dims{rows, 2}) {
    return media_error(node, "positions '" + value.name + "' must be I64 [" + std::to_string(rows) + ", 2], got " +
                                 dims_to_string(value.dims));
  }
  return ok_status();
}

Result<Dims> infer_conv2d(const Node& node, const Inputs& in) {
  HFB_TRY(need(node, in, 2, 2));
  HFB_TRY(static_rank(node, *in[0], 3));
  HFB_TRY(static_rank(node, *in[1], 4));
  const Dims& x = in[0]->dims;
  const Dims& w = in[1]->dims;
  int64_t stride = node.attr_int("stride", 1), pad = node.attr_int("padding", 0);
  if (stride <= 0 || pad < 0 || w[1] != x[2]) {
    return media_error(node, "x " + dims_to_string(x) + " ([H, W, Cin]) does not match weight " + dims_to_string(w) +
                                 " ([Cout, Cin, kh, kw]) or stride/padding invalid");
  }
  const int64_t kMaxPad = int64_t{1} << 30;  // keeps x + 2 * pad far from int64 overflow (dims are < 2^62)
  if (pad > kMaxPad || x[0] > kMaxPad || x[1] > kMaxPad) {
    return media_error(node, "padding " + std::to_string(pad) + " or input " + dims_to_string(x) +
                                 " beyond 2^30 (overflow)");
  }
  int64_t h = (x[0] + 2 * pad - w[2]) / stride + 1;
  int64_t wd = (x[1] + 2 * pad - w[3]) / stride + 1;
  if (h <= 0 || wd <= 0) return media_error(node, "kernel larger than the padded input");
  return Dims{h, wd, w[0]};
}

Result<Dims> infer_last_dim_param(const Node& node, const Inputs& in, size_t count, size_t required) {
  HFB_TRY(need(node, in, count, required));
  if (in[0]->dims.empty()) return media_error(node, "x must have rank >= 1");
  for (size_t i = 1; i < in.size(); ++i) {
    if (in[i]) HFB_TRY(same(node, *in[i], {in[0]->dims.back()}));
  }
  return in[0]->dims;
}

Result<Dims> infer_rows(const Node& node, const Inputs& in) {
  if (node.op == OpType::kMaskRows) {
    HFB_TRY(need(node, in, 2, 2));
    if (in[0]->dims.empty()) return media_error(node, "x must have rank >= 1");
    HFB_TRY(same(node, *in[1], {in[0]->dims[0]}));
    return in[0]->dims;
  }
  HFB_TRY(need(node, in, 1, 1));
  Dims dims = in[0]->dims;
  int64_t stride = node.attr_int("stride", 0);
  if (dims.empty() || dims[0] < 0 || stride <= 0) return media_error(node, "needs a static first dim and stride > 0");
  dims[0] = (dims[0] + stride - 1) / stride;
  return dims;
}

Result<Dims> infer_glu(const Node& node, const Inputs& in) {
  HFB_TRY(need(node, in, 1, 1));
  Dims dims = in[0]->dims;
  if (dims.empty() || dims.back() % 2 != 0) return media_error(node, "last dim must be even");
  dims.back() /= 2;
  return dims;
}

Result<Dims> infer_depthwise(const Node& node, const Inputs& in) {
  HFB_TRY(need(node, in, 2, 2));
  HFB_TRY(static_rank(node, *in[1], 3));
  const Dims& w = in[1]->dims;
  if (in[0]->dims.size() != 2 || in[0]->dims[1] != w[0] || w[1] != 1) {
    return media_error(node, "x " + dims_to_string(in[0]->dims) + " ([T, C]) does not match weight " +
                                 dims_to_string(w) + " ([C, 1, K])");
  }
  return in[0]->dims;
}

Result<Dims> infer_sinusoid(const Node& node, const Inputs& in) {
  HFB_TRY(need(node, in, 0, 0));
  int64_t count = node.attr_int("count", 0), dim = node.attr_int("dim", 0);
  if (count <= 0 || dim <= 0 || dim % 2 != 0) return media_error(node, "count > 0 and an even dim > 0 required");
  return Dims{count, dim};
}

Result<Dims> infer_local_attention(const Node& node, const Inputs& in) {
  HFB_TRY(need(node, in, 5, 5));
  HFB_TRY(static_rank(node, *in[0], 3));
  const Dims& q = in[0]->dims;
  HFB_TRY(same(node, *in[1], q));
  HFB_TRY(same(node, *in[2], q));
  if (in[3]->dims.size() != 3 || in[3]->dims[1] != q[1] || in[3]->dims[2] != q[2]) {
    return media_error(node, "rel_k " + dims_to_string(in[3]->dims) + " must be [F, heads, head_dim]");
  }
  HFB_TRY(same(node, *in[4], {q[0]}));
  if (node.attr_int("chunk_size", 0) <= 0 || node.attr_int("context_left", 0) < 1 ||
      node.attr_int("context_right", -1) < 0 || node.attr_float("logit_cap", 0.0) <= 0.0) {
    return media_error(node, "chunk_size > 0, context_left >= 1, context_right >= 0 and logit_cap > 0 required");
  }
  return q;
}

Result<Dims> infer_clip(const Node& node, const Inputs& in) {
  HFB_TRY(need(node, in, 3, 1));
  for (size_t i = 1; i < 3; ++i) {
    if (in[i] && !(in[i]->dims.empty() || in[i]->dims == Dims{1})) {
      return media_error(node, "bound '" + in[i]->name + "' must be a scalar, got " + dims_to_string(in[i]->dims));
    }
  }
  return in[0]->dims;
}

Result<Dims> infer_vision_positions(const Node& node, const Inputs& in) {
  if (node.op == OpType::kPatchMask) {
    HFB_TRY(need(node, in, 1, 1));
    if (in[0]->dims.size() != 2) return media_error(node, "positions must be [P, 2]");
    HFB_TRY(positions_2d(node, *in[0], in[0]->dims[0]));
    return Dims{in[0]->dims[0]};
  }
  HFB_TRY(need(node, in, 2, 2));
  if (node.op == OpType::kPositionEmbedding2d) {
    HFB_TRY(static_rank(node, *in[0], 3));
    if (in[0]->dims[0] != 2) return media_error(node, "table must be [2, S, D]");
    if (in[1]->dims.size() != 2) return media_error(node, "positions must be [P, 2]");
    HFB_TRY(positions_2d(node, *in[1], in[1]->dims[0]));
    return Dims{in[1]->dims[0], in[0]->dims[2]};
  }
  if (in[0]->dims.empty()) return media_error(node, "x must have rank >= 1");
  HFB_TRY(positions_2d(node, *in[1], in[0]->dims[0]));
  if (node.op == OpType::kRope2d) {
    const Dims& x = in[0]->dims;
    if (x.size() != 3 || x[2] % 4 != 0 || node.attr_float("theta", 0.0) <= 0.0) {
      return media_error(node, "x must be [P, heads, head_dim] with head_dim % 4 == 0 and theta > 0");
    }
    return x;
  }
  // position_pool: length = rows / kernel^2; an explicit `length` (older graphs) must agree.
  const int64_t kernel = node.attr_int("kernel", 0), rows = in[0]->dims[0];
  const int64_t area = kernel > 0 && kernel <= (int64_t{1} << 31) ? kernel * kernel : 0;  // no overflow
  const int64_t length = area > 0 ? rows / area : 0;
  const int64_t stated = node.attr_int("length", length);
  if (in[0]->dims.size() != 2 || kernel <= 0 || length <= 0 || area * length != rows || stated != length) {
    return media_error(node, "x " + dims_to_string(in[0]->dims) + " cannot be pooled to length " +
                                 std::to_string(stated) + " with kernel " + std::to_string(kernel) +
                                 " (rows must be a positive multiple of kernel^2)");
  }
  return Dims{length, in[0]->dims[1]};
}

Result<Dims> infer_masked_attention(const Node& node, const Inputs& in) {
  HFB_TRY(need(node, in, in.size() == 5 ? 5 : 4, 4));
  int64_t heads = node.attr_int("num_heads", 0), kv_heads = node.attr_int("num_kv_heads", 0);
  int64_t head_dim = node.attr_int("head_dim", 0);
  if (heads <= 0 || kv_heads <= 0 || head_dim <= 0 || heads % kv_heads != 0) {
    return media_error(node, "num_heads must be a positive multiple of num_kv_heads, head_dim > 0");
  }
  int64_t n = in[0]->dims.empty() ? 0 : in[0]->dims[0];
  HFB_TRY(same(node, *in[0], {n, heads, head_dim}));
  HFB_TRY(same(node, *in[1], {n, kv_heads, head_dim}));
  HFB_TRY(same(node, *in[2], {n, kv_heads, head_dim}));
  HFB_TRY(same(node, *in[3], {n}));
  if (in.size() == 5 && in[4]) {  // patch positions [N, 2]: images of a stacked input attend within themselves
    if (in[4]->dtype != DTypeId::kI64) return media_error(node, "patch positions must be I64");
    HFB_TRY(same(node, *in[4], {n, 2}));
  }
  return in[0]->dims;
}

Result<Dims> infer_scatter(const Node& node, const Inputs& in) {
  HFB_TRY(need(node, in, 4, 3));
  const Dims& e = in[0]->dims;
  if (e.size() != 2 || in[1]->dtype != DTypeId::kI64 || in[1]->dims != Dims{e[0]}) {
    return media_error(node, "embeds must be [L, D] and ids I64 [L]");
  }
  if (in[2]->dims.size() != 2 || in[2]->dims[1] != e[1] || in[2]->dims[0] < 0) {
    return media_error(node, "soft tokens " + dims_to_string(in[2]->dims) + " must be [N, " + std::to_string(e[1]) + "]");
  }
  if (in[3]) HFB_TRY(same(node, *in[3], {in[2]->dims[0]}));
  if (node.attr_int("token_id", -1) < 0) return media_error(node, "token_id must be >= 0");
  return e;
}

}  // namespace

/// Output dims of a multimodal op; called by infer_node_dims (core/graph_shapes.cpp).
Result<std::vector<int64_t>> infer_media_node_dims(const Node& node, const std::vector<const ValueInfo*>& in) {
  switch (node.op) {
    case OpType::kConv2d: return infer_conv2d(node, in);
    case OpType::kLayerNorm:
      if (node.attr_float("eps", -1.0) < 0.0) return media_error(node, "attribute eps missing or negative");
      return infer_last_dim_param(node, in, 2, 1);
    case OpType::kRelu:
    case OpType::kAffine: return infer_last_dim_param(node, in, 1, 1);
    case OpType::kGlu: return infer_glu(node, in);
    case OpType::kMaskRows:
    case OpType::kStrideRows: return infer_rows(node, in);
    case OpType::kDepthwiseConv1d: return infer_depthwise(node, in);
    case OpType::kPerDimScale:
    case OpType::kBiasAdd: return infer_last_dim_param(node, in, 2, 2);
    case OpType::kStandardize: return infer_last_dim_param(node, in, 3, 3);
    case OpType::kSinusoidPositions: return infer_sinusoid(node, in);
    case OpType::kLocalAttention: return infer_local_attention(node, in);
    case OpType::kClip: return infer_clip(node, in);
    case OpType::kPatchMask:
    case OpType::kPositionEmbedding2d:
    case OpType::kRope2d:
    case OpType::kPositionPool: return infer_vision_positions(node, in);
    case OpType::kMaskedAttention: return infer_masked_attention(node, in);
    case OpType::kScatterTokens: return infer_scatter(node, in);
    default: break;
  }
  return media_error(node, "unknown op");
}

}  // namespace hfb
