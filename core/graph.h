// The op graph: the one IR of hfbundle (after ONNX / Core ML MIL). Nodes (op type + named attributes)
// over named values with shapes whose sequence length is symbolic, initializers that reference
// tensor-table entries by name (keeping their roles), and named KV-cache states read and appended to
// by attention nodes. Builders (readers/<family>/) make it, passes rewrite it, the runtime executes it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "core/role.h"
#include "core/tensor.h"

namespace hfb {

/// Every op the IR knows. Names (op_type_name) are stable: the bundle manifest stores them.
/// Inputs are positional; "" marks an absent optional input. All float values are F32.
///   gather     (table [V,D], ids [L] I64)            attrs scale=1.0, replace_ids=[], replace_with
///              (ids listed in replace_ids are looked up as replace_with)              -> [L,D]
///   linear     (x [...,in], weight [out,in])                                     -> [...,out]
///   add        (a, b) same dims                                                  -> a
///   mul        (a, b) b same dims as a, or [1] (broadcast scalar)                -> a
///   mul_scalar (x)                                   attrs value                -> x
///   rms_norm   (x [...,D], weight [D] | "")          attrs eps                  -> x  (x*(mean(x^2)+eps)^-0.5*w)
///   rope       (x [L,H,D], positions [L] I64)        attrs rope_type ("default"|"proportional"), theta,
///                                                     partial_rotary_factor, head_dim (== D)   -> x
///   attention  (q [L,Hq,D], k [L,Hkv,D] | "", v [L,Hkv,D] | "", positions [L] I64)
///              attrs num_heads, num_kv_heads, head_dim, window (0: no window), causal (1), scaling,
///              softcap (0: none), state ("" : no cache), writes_state (1: k,v appended to the state;
///              0: k,v absent, reads keys/values the state's writer produced in the same run)  -> [L,Hq,D]
///   gelu_tanh  (x), silu (x)                                                     -> x
///   softcap    (x)                                   attrs cap   (tanh(x/cap)*cap)   -> x
///   clamp      (x)                                   attrs min, max             -> x
///   reshape    (x)                                   attrs shape (ints; kSeqDim keeps the symbolic dim; 0 copies
///                                                     x's dim at that index, as ONNX) -> shape
///   slice      (x)                                   attrs axis, start, end (static axis) -> x with axis end-start
///   concat     (a, b, ...)                           attrs axis                 -> sum along axis
/// Multimodal ops (docs/multimodal.md; shapes in core/graph_shapes_media.cpp, kernels in validators/kernels_{audio,vision}.h):
///   conv2d     (x [H,W,Cin], w [Cout,Cin,kh,kw])     attrs stride, padding (zero) -> [H',W',Cout]
///   layer_norm (x [...,D], w [D] | "")               attrs eps (mean-subtracting, no bias) -> x
///   relu (x), glu (x [...,2D]) -> [...,D] (first half * sigmoid(second half))
///   mask_rows  (x [N,...], mask [N])                 x * mask[row]          -> x
///   stride_rows (x [N,...])                          attrs stride (rows 0, s, 2s, ...) -> [ceil(N/s),...]
///   depthwise_conv1d (x [T,C], w [C,1,K])            causal (left pad K-1)  -> x
///   per_dim_scale (x [...,D], w [D])                 attrs scale: x*scale*softplus(w) -> x
///   sinusoid_positions ()                            attrs count, dim: rows count-1..0, [sin|cos] -> [count,dim]
///   local_attention (q [T,H,D], k, v, rel_k [F,H,D], mask [T]) attrs chunk_size, context_left, context_right,
///              logit_cap, invalid_logit (chunked local attention with relative positions) -> q
///   bias_add   (x [...,D], b [D]) -> x;  clip (x, min [] | "", max [] | "") -> x
///   affine     (x)                                   attrs shift, scale: (x+shift)*scale -> x
///   patch_mask (positions [P,2] I64)                 1 unless both are -1   -> [P]
///   position_embedding_2d (table [2,S,D], positions [P,2] I64)  x row + y row, 0 for padding -> [P,D]
///   rope_2d    (x [P,H,D], positions [P,2] I64)      attrs theta            -> x
///   masked_attention (q [N,Hq,D], k [N,Hkv,D], v, mask [N]) attrs num_heads, num_kv_heads, head_dim, scaling
///              (bidirectional, keys with mask 0 excluded) -> q
///   position_pool (x [P,D], positions [P,2] I64)    attrs kernel (P a multiple of kernel^2; optional `length`,
///                                                     older graphs, must equal P/kernel^2) -> [P/kernel^2,D]
///   standardize (x [...,D], bias [D], scale [D])     (x-bias)*scale         -> x
///   scatter_tokens (embeds [L,D], ids [L] I64, soft [N,D], mask [N] | "") attrs token_id: the k-th position
///              holding token_id gets the k-th soft row with mask 1 -> embeds
/// Mixture of Experts and bidirectional image attention (docs/graph-ir.md; shapes in core/graph_shapes_moe.cpp):
///   moe_route  (logits [L,E], per_expert_scale [E])  attrs top_k: softmax (f32), the top_k largest probabilities
///              (ties: lower expert first) renormalised to sum 1, times per_expert_scale[e]
///              -> [L, 2*top_k]: columns 0..k-1 the expert ids (exact integers in f32), k..2k-1 their weights
///   moe_experts (x [L,H], routing [L,2k], gate_up [E,2I,H], down [E,H,I]) attrs top_k, activation
///              ("gelu_tanh"|"silu"): sum_j w_j * down_e (act(G_e x) * U_e x), gate rows first; reads only the
///              routed experts' rows -> [L,H]
///   token_blocks (ids [L] I64)                       attrs token_ids: each maximal run of positions holding one of
///              token_ids is a block, numbered 0, 1, ... in order; other positions -1 -> [L] (f32 integers)
///   attention takes an optional fifth input block_ids [L] (token_blocks): a key of this run in the query's block
///              is visible even when later than the query (the window still applies)
enum class OpType : uint8_t {
  kGather,
  kLinear,
  kAdd,
  kMul,
  kMulScalar,
  kRmsNorm,
  kRope,
  kAttention,
  kGeluTanh,
  kSilu,
  kSoftcap,
  kClamp,
  kReshape,
  kSlice,
  kConcat,
  kConv2d,
  kLayerNorm,
  kRelu,
  kGlu,
  kMaskRows,
  kStrideRows,
  kDepthwiseConv1d,
  kPerDimScale,
  kSinusoidPositions,
  kLocalAttention,
  kBiasAdd,
  kClip,
  kAffine,
  kPatchMask,
  kPositionEmbedding2d,
  kRope2d,
  kMaskedAttention,
  kPositionPool,
  kStandardize,
  kScatterTokens,
  kMoeRoute,
  kMoeExperts,
  kTokenBlocks,
  kCount,
};

/// "rms_norm", "attention", ...
std::string_view op_type_name(OpType op);
std::optional<OpType> op_type_from_name(std::string_view name);

/// The symbolic sequence-length dimension ("L" in to_text()).
constexpr int64_t kSeqDim = -1;

using AttributeValue = std::variant<int64_t, double, std::string, std::vector<int64_t>>;
using Attributes = std::map<std::string, AttributeValue>;

enum class ValueKind : uint8_t { kInput, kInitializer, kIntermediate };

/// A named value: a graph input, an initializer (weights from the tensor table) or a node output.
struct ValueInfo {
  std::string name;
  ValueKind kind = ValueKind::kIntermediate;
  DType dtype = DTypeId::kF32;
  std::vector<int64_t> dims;  ///< kSeqDim marks the symbolic sequence length
  // Initializers only: the tensor-table entry it reads and that entry's role.
  std::string tensor;
  Role role = Role::kNorm;
  int layer = -1;
};

/// A KV cache: keys and values [positions, num_kv_heads, head_dim], appended by exactly one attention node.
struct StateInfo {
  std::string name;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t window = 0;  ///< 0: keeps every position; else keeps at most `window` positions (ring buffer)
  /// True in a chunk subgraph (passes/chunk_partition.h) for a state an earlier chunk writes: its
  /// readers here may read it with no writer in this graph.
  bool imported = false;
};

struct Node {
  std::string name;
  OpType op = OpType::kAdd;
  std::vector<std::string> inputs;   ///< "" = absent optional input
  std::vector<std::string> outputs;
  Attributes attributes;

  int64_t attr_int(const std::string& key, int64_t fallback) const;
  double attr_float(const std::string& key, double fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key) const;
};

/// The stable, plain form of a graph (what a manifest serialises; Graph::from_data validates it).
struct GraphData {
  std::vector<ValueInfo> values;
  std::vector<StateInfo> states;
  std::vector<Node> nodes;            ///< in execution (topological) order
  std::vector<std::string> inputs;    ///< e.g. "input_ids", "positions"
  std::vector<std::string> outputs;   ///< e.g. "logits"
  std::vector<std::string> taps;      ///< values a caller may capture ("hidden_states.<i>")
};

/// Output dims of `node` given its input values (nullptr for absent optional inputs).
/// Fails with kInvalidArgument naming the node, the input and expected vs got dims.
Result<std::vector<int64_t>> infer_node_dims(const Node& node, const std::vector<const ValueInfo*>& inputs);

/// "[L, 4, 32]"
std::string dims_to_string(const std::vector<int64_t>& dims);

class Graph {
 public:
  Graph() = default;
  /// Rebuilds a graph from its plain form, re-validating every node in order.
  /// Fails like the add_* calls would for the first bad entry.
  static Result<Graph> from_data(const GraphData& data);

  /// Fails with kInvalidArgument if the name is taken.
  Status add_input(const std::string& name, DType dtype, std::vector<int64_t> dims);
  /// An initializer named `name` reading tensor `info` (dims, dtype and role from it).
  /// Fails with kInvalidArgument if the name is taken.
  Status add_initializer(const std::string& name, const TensorInfo& info);
  /// Fails with kInvalidArgument if the name is taken or sizes are not positive.
  Status add_state(const StateInfo& state);
  /// Appends a node with one output named `output`, inferring its dims. Fails with kInvalidArgument if
  /// an input is unknown, the output name is taken, shapes disagree, or an attention node reads a
  /// state nobody wrote before it / writes a state written already.
  Status add_node(OpType op, const std::string& name, std::vector<std::string> inputs,
                  Attributes attributes, const std::string& output);
  /// Fails with kNotFound if the value does not exist.
  Status mark_output(const std::string& name);
  Status mark_tap(const std::string& name);

  const ValueInfo* find_value(const std::string& name) const;
  const StateInfo* find_state(const std::string& name) const;
  const GraphData& data() const { return data_; }
  const std::vector<Node>& nodes() const { return data_.nodes; }

  /// A readable listing: inputs, states, initializers (tensor, role), then one node per line.
  std::string to_text() const;

 private:
  Status add_value(ValueInfo value);
  Status check_state_use(const Node& node);

  GraphData data_;
  std::map<std::string, size_t> value_index_;
  std::map<std::string, size_t> state_index_;
  std::map<std::string, bool> state_written_;
};

/// `data` with the listed graph inputs given new dims (e.g. another prompt's media sizes), every node's
/// output dims re-inferred (Graph::from_data). Sizes that depend on an input are relative in the IR (reshape
/// 0 = copy, position_pool length from rows, stride_rows/conv2d from their input), so one graph serves every
/// size. Fails with kNotFound if a name is not a graph input, else like Graph::from_data naming the first
/// node whose shapes no longer fit.
Result<Graph> respecialize(const GraphData& data, const std::map<std::string, std::vector<int64_t>>& input_dims);

}  // namespace hfb
