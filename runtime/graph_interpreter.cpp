// Graph interpreter: compiles the graph once (value indices, RoPE tables, attention parameters, caches),
// plans buffers per sequence length, and dispatches each node to its float32 kernel.
#include "runtime/graph_interpreter.h"

#include <algorithm>
#include <cstring>

#include "core/graph_io.h"
#include "runtime/kernels_audio.h"

namespace hfb {
namespace {

int value_index(const Graph& graph, const std::string& name) {
  const ValueInfo* value = graph.find_value(name);
  return value ? static_cast<int>(value - graph.data().values.data()) : -1;
}

int64_t last_dim(const std::vector<int64_t>& dims) { return dims.empty() ? 1 : dims.back(); }

}  // namespace

Result<std::unique_ptr<GraphInterpreter>> GraphInterpreter::create(Graph graph,
                                                                   std::shared_ptr<const WeightStore> weights) {
  std::unique_ptr<GraphInterpreter> interpreter(new GraphInterpreter());
  interpreter->graph_ = std::move(graph);
  interpreter->weights_ = std::move(weights);
  HFB_TRY(interpreter->compile());
  return interpreter;
}

Status GraphInterpreter::compile() {
  const auto& values = graph_.data().values;
  for (const std::string& input : graph_.data().inputs) {
    if (input != kGraphInputIds && input != kGraphPositions && !is_graph_media_input(input) &&
        !(graph_.find_value(input) && graph_.find_value(input)->dtype == DTypeId::kF32)) {
      return Error(ErrorCode::kUnsupported, "runtime: graph input '" + input + "' is not supported yet");
    }
  }
  ids_value_ = value_index(graph_, kGraphInputIds);
  positions_value_ = value_index(graph_, kGraphPositions);
  image_positions_value_ = value_index(graph_, kGraphImagePositionIds);
  weight_data_.assign(values.size(), nullptr);
  for (size_t v = 0; v < values.size(); ++v) {
    if (values[v].kind != ValueKind::kInitializer) continue;
    HFB_TRY(WeightView view, weights_->weight(values[v]));
    if (view.dims != values[v].dims) {
      return Error(ErrorCode::kInvalidArgument, "runtime: weights have dims " + dims_to_string(view.dims) +
                                                    ", graph expects " + dims_to_string(values[v].dims))
          .with_tensor(values[v].tensor);
    }
    weight_data_[v] = view.data;
    if (view.encoded) {
      bind_matrix(static_cast<int>(v), matrix_view(*view.encoded));
    } else if (view.matrix) {
      bind_matrix(static_cast<int>(v), *view.matrix);
    } else if (view.data != nullptr && (view.dims.size() == 2 || view.dims.size() == 3)) {
      // Rank 3 (expert banks): E stacked matrices, [E*R, C] as quant/ views them.
      const int64_t rows = view.dims.size() == 3 ? view.dims[0] * view.dims[1] : view.dims[0];
      HFB_TRY(MatrixView f32, float_matrix_view(view.data, DTypeId::kF32, rows, view.dims.back()));
      bind_matrix(static_cast<int>(v), f32);
    }
  }
  for (const StateInfo& state : graph_.data().states) caches_.emplace_back(state);
  shared_caches_.assign(caches_.size(), nullptr);
  std::vector<std::vector<int>> node_inputs;
  for (const Node& node : graph_.nodes()) {
    CompiledNode compiled;
    compiled.node = &node;
    for (const std::string& input : node.inputs) compiled.inputs.push_back(input.empty() ? -1 : value_index(graph_, input));
    compiled.output = value_index(graph_, node.outputs[0]);
    if (node.op == OpType::kRope) {
      compiled.inverse_frequencies = rope_inverse_frequencies(
          node.attr_string("rope_type", "") == "proportional", node.attr_float("theta", 10000.0),
          node.attr_float("partial_rotary_factor", 1.0), node.attr_int("head_dim", 0));
    }
    if (node.op == OpType::kAttention) {
      AttentionParams& p = compiled.attention;
      p.num_heads = node.attr_int("num_heads", 0);
      p.num_kv_heads = node.attr_int("num_kv_heads", 0);
      p.head_dim = node.attr_int("head_dim", 0);
      p.window = node.attr_int("window", 0);
      p.causal = node.attr_int("causal", 1) != 0;
      p.scaling = static_cast<float>(node.attr_float("scaling", 1.0));
      p.softcap = static_cast<float>(node.attr_float("softcap", 0.0));
      std::string state = node.attr_string("state", "");
      const StateInfo* info = state.empty() ? nullptr : graph_.find_state(state);
      compiled.cache = info ? static_cast<int>(info - graph_.data().states.data()) : -1;
      compiled.writes_state = node.attr_int("writes_state", 0) != 0;
    }
    node_inputs.push_back(compiled.inputs);
    node_outputs_.push_back(compiled.output);
    nodes_.push_back(std::move(compiled));
  }
  lifetimes_ = compute_value_lifetimes(graph_, node_inputs, node_outputs_);
  find_logits_tail();
  return ok_status();
}

void GraphInterpreter::find_logits_tail() {
  const auto& values = graph_.data().values;
  tail_values_.assign(values.size(), 0);
  std::vector<int> readers(values.size(), 0);
  for (const CompiledNode& c : nodes_) {
    for (int v : c.inputs) {
      if (v >= 0) ++readers[v];
    }
  }
  std::vector<char> exposed(values.size(), 0);
  for (const auto* names : {&graph_.data().outputs, &graph_.data().taps}) {
    for (const std::string& name : *names) {
      const int v = value_index(graph_, name);
      if (v >= 0) exposed[v] = 1;
    }
  }
  auto seq_rows = [&](int v) { return v >= 0 && !values[v].dims.empty() && values[v].dims[0] == kSeqDim; };
  // Walk back from "logits" through row-wise ops whose row r depends only on row r of inputs[0] (the other
  // inputs are weights); stop at a value something else reads, a tap/output or an op of another kind.
  const int logits = value_index(graph_, kGraphLogits);
  int v = logits >= 0 && readers[logits] == 0 ? logits : -1;
  while (seq_rows(v) && values[v].kind == ValueKind::kIntermediate && lifetimes_.alias_of[v] < 0 &&
         lifetimes_.defined_by[v] >= 0) {
    CompiledNode& c = nodes_[static_cast<size_t>(lifetimes_.defined_by[v])];
    if (v != logits && (readers[v] != 1 || exposed[v])) break;
    bool row_wise = false;
    switch (c.node->op) {
      case OpType::kLinear:
      case OpType::kRmsNorm:
        row_wise = c.inputs.size() < 2 || c.inputs[1] < 0 || values[c.inputs[1]].kind == ValueKind::kInitializer;
        break;
      case OpType::kSoftcap:
      case OpType::kMulScalar:
      case OpType::kClamp:
      case OpType::kGeluTanh:
      case OpType::kSilu: row_wise = c.inputs.size() == 1; break;
      default: break;
    }
    const int in = c.inputs.empty() ? -1 : c.inputs[0];
    if (!row_wise || !seq_rows(in)) break;
    c.logits_tail = true;
    tail_values_[v] = 1;
    v = in;
  }
  for (CompiledNode& c : nodes_) c.tail_entry = c.logits_tail && tail_values_[c.inputs[0]] == 0;
}

void GraphInterpreter::reset() {
  for (KvCache& cache : caches_) cache.reset();
  position_ = 0;
  pending_length_ = 0;
}

const KvCache* GraphInterpreter::cache(const std::string& state) const {
  const StateInfo* info = graph_.find_state(state);
  return info ? &caches_[info - graph_.data().states.data()] : nullptr;
}

void GraphInterpreter::prepare(int64_t length) {
  const bool last_row = logits_last_row_ && length > 1;
  if (plan_.length == length && plan_last_row_ == last_row) return;
  plan_ = plan_buffers(graph_, lifetimes_, node_outputs_, length, last_row ? &tail_values_ : nullptr);
  plan_last_row_ = last_row;
  if (static_cast<int64_t>(arena_.size()) < plan_.arena_floats) arena_.resize(static_cast<size_t>(plan_.arena_floats));
}

float* GraphInterpreter::buffer(int value) {
  if (weight_data_[value]) return const_cast<float*>(weight_data_[value]);  // read-only by construction
  if (!media_floats_.empty()) {
    auto media = media_floats_.find(value);
    if (media != media_floats_.end()) return media->second.data();
  }
  if (!boundary_floats_.empty()) {
    auto boundary = boundary_floats_.find(value);
    if (boundary != boundary_floats_.end()) return boundary->second.data.data();
  }
  return arena_.data() + plan_.offsets[value];
}

const float* GraphInterpreter::row_input(const CompiledNode& c) {
  const int in = c.inputs[0];
  const float* x = buffer(in);
  if (!plan_last_row_ || !c.tail_entry) return x;
  const int64_t rows = plan_.dims[in][0];
  return x + (rows - 1) * (plan_.elements[in] / rows);
}

const int64_t* GraphInterpreter::int_buffer(int value) const {
  if (value == image_positions_value_) return image_positions_.data();
  return value == ids_value_ ? ids_.data() : positions_.data();
}

Status GraphInterpreter::run(const std::vector<int64_t>& ids) {
  HFB_TRY(run_uncommitted(ids));
  commit();
  return ok_status();
}

Status GraphInterpreter::run_uncommitted(const std::vector<int64_t>& ids) {
  if (ids.empty()) return Error(ErrorCode::kInvalidArgument, "runtime: empty input");
  HFB_TRY(check_boundary_inputs(static_cast<int64_t>(ids.size())));
  pending_length_ = 0;
  experts_weights_read_ = 0;
  ids_ = ids;
  positions_.resize(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) positions_[i] = position_ + static_cast<int64_t>(i);
  prepare(static_cast<int64_t>(ids.size()));
  first_nonfinite_.clear();
  for (const CompiledNode& node : nodes_) {
    Status status = execute(node);
    if (!status.ok()) {
      for (KvCache& cache : caches_) cache.set_pending(nullptr, nullptr, nullptr, 0);
      return status;
    }
    if (check_finite_ && first_nonfinite_.empty()) check_finite_output(node);
  }
  pending_length_ = static_cast<int64_t>(ids.size());
  return ok_status();
}

void GraphInterpreter::commit() {
  for (KvCache& cache : caches_) cache.commit();
  position_ += pending_length_;
  pending_length_ = 0;
}

Status GraphInterpreter::read_taps(Taps* taps) const {
  for (const std::string& name : graph_.data().taps) {
    HFB_TRY(Matrix value, read(name));
    (*taps)[name] = std::move(value);
  }
  return ok_status();
}

Result<Matrix> GraphInterpreter::read(const std::string& name) const {
  int v = value_index(graph_, name);
  int root = v;
  while (root >= 0 && lifetimes_.alias_of[root] >= 0) root = lifetimes_.alias_of[root];
  if (v < 0 || graph_.data().values[v].kind != ValueKind::kIntermediate || plan_.length < 0 ||
      lifetimes_.last_use[root] < static_cast<int>(nodes_.size())) {
    return Error(ErrorCode::kNotFound, "runtime: value '" + name + "' is not readable after a run");
  }
  Matrix out;
  out.rows = plan_.dims[v].empty() ? 1 : plan_.dims[v][0];
  out.cols = out.rows ? plan_.elements[v] / out.rows : 0;
  const float* data = arena_.data() + plan_.offsets[v];
  out.data.assign(data, data + plan_.elements[v]);
  return out;
}

Status GraphInterpreter::execute_gather(const CompiledNode& c) {
  const Node& node = *c.node;
  const auto& table_dims = plan_.dims[c.inputs[0]];
  const float* table = buffer(c.inputs[0]);
  const int64_t* ids = int_buffer(c.inputs[1]);
  const int64_t rows = plan_.dims[c.inputs[1]][0];
  const int64_t width = table_dims[1];
  const float scale = static_cast<float>(node.attr_float("scale", 1.0));
  const std::vector<int64_t> replace = node.attr_ints("replace_ids");
  const int64_t replace_with = node.attr_int("replace_with", 0);
  float* out = buffer(c.output);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t id = ids[r];
    if (std::find(replace.begin(), replace.end(), id) != replace.end()) id = replace_with;
    if (id < 0 || id >= table_dims[0]) {
      return Error(ErrorCode::kInvalidArgument, "runtime: token id " + std::to_string(ids[r]) +
                                                    " outside table of " + std::to_string(table_dims[0]) + " rows")
          .with_tensor(graph_.data().values[c.inputs[0]].tensor);
    }
    if (const MatrixView* matrix = matrix_weight(c.inputs[0])) {
      matrix_decode_rows(*matrix, id, id + 1, out + r * width);  // one stored row, never the whole table
      for (int64_t i = 0; i < width; ++i) out[r * width + i] *= scale;
      weight_bytes_read_ += static_cast<uint64_t>(matrix->row_stride);
      continue;
    }
    const float* row = table + id * width;
    for (int64_t i = 0; i < width; ++i) out[r * width + i] = row[i] * scale;
  }
  return ok_status();
}

void GraphInterpreter::execute_attention(const CompiledNode& c) {
  const AttentionParams& p = c.attention;
  const int64_t length = plan_.length;
  const int64_t* positions = int_buffer(c.inputs[3]);
  std::vector<KeySegment> segments;
  if (c.cache >= 0) {
    KvCache& cache = caches_[c.cache];
    if (c.writes_state) cache.set_pending(buffer(c.inputs[1]), buffer(c.inputs[2]), positions, length);
    const KvCache* shared = c.writes_state ? nullptr : shared_caches_[c.cache];
    segments = shared ? shared->segments() : cache.segments();
  } else {
    segments.push_back(KeySegment{buffer(c.inputs[1]), buffer(c.inputs[2]), positions, length});
  }
  if (c.inputs.size() > 4 && c.inputs[4] >= 0) {
    AttentionParams with_blocks = p;
    with_blocks.block_ids = buffer(c.inputs[4]);
    kernel_attention(buffer(c.inputs[0]), positions, length, segments, with_blocks, buffer(c.output), scratch_);
    return;
  }
  kernel_attention(buffer(c.inputs[0]), positions, length, segments, p, buffer(c.output), scratch_);
}

void GraphInterpreter::execute_elementwise(const CompiledNode& c) {
  const Node& node = *c.node;
  const float* x = row_input(c);
  float* y = buffer(c.output);
  const int64_t count = plan_.elements[c.output];
  switch (node.op) {
    case OpType::kAdd: {
      const float* b = buffer(c.inputs[1]);
      for (int64_t i = 0; i < count; ++i) y[i] = x[i] + b[i];
      break;
    }
    case OpType::kMul: {
      const float* b = buffer(c.inputs[1]);
      bool scalar = plan_.elements[c.inputs[1]] == 1 && count != 1;
      for (int64_t i = 0; i < count; ++i) y[i] = x[i] * (scalar ? b[0] : b[i]);
      break;
    }
    case OpType::kMulScalar: {
      const float value = static_cast<float>(node.attr_float("value", 1.0));
      for (int64_t i = 0; i < count; ++i) y[i] = x[i] * value;
      break;
    }
    case OpType::kClamp: {
      const float lo = static_cast<float>(node.attr_float("min", -3.4e38));
      const float hi = static_cast<float>(node.attr_float("max", 3.4e38));
      for (int64_t i = 0; i < count; ++i) y[i] = std::min(std::max(x[i], lo), hi);
      break;
    }
    case OpType::kGeluTanh: kernel_gelu_tanh(x, count, y); break;
    case OpType::kSilu: kernel_silu(x, count, y); break;
    case OpType::kSoftcap: kernel_softcap(x, count, static_cast<float>(node.attr_float("cap", 1.0)), y); break;
    default: break;
  }
}

void GraphInterpreter::execute_slice_concat(const CompiledNode& c) {
  const Node& node = *c.node;
  const int64_t axis = node.attr_int("axis", 0);
  const auto& out_dims = plan_.dims[c.output];
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= out_dims[d];
  for (size_t d = axis + 1; d < out_dims.size(); ++d) inner *= out_dims[d];
  float* y = buffer(c.output);
  if (node.op == OpType::kSlice) {
    const int64_t in_axis = plan_.dims[c.inputs[0]][axis];
    const int64_t start = node.attr_int("start", 0);
    const float* x = buffer(c.inputs[0]);
    for (int64_t o = 0; o < outer; ++o) {
      std::memcpy(y + o * out_dims[axis] * inner, x + (o * in_axis + start) * inner,
                  sizeof(float) * out_dims[axis] * inner);
    }
    return;
  }
  int64_t at = 0;
  for (int input : c.inputs) {
    const int64_t in_axis = plan_.dims[input][axis];
    const float* x = buffer(input);
    for (int64_t o = 0; o < outer; ++o) {
      std::memcpy(y + (o * out_dims[axis] + at) * inner, x + o * in_axis * inner, sizeof(float) * in_axis * inner);
    }
    at += in_axis;
  }
}

Status GraphInterpreter::execute(const CompiledNode& c) {
  const Node& node = *c.node;
  switch (node.op) {
    case OpType::kGather: return execute_gather(c);
    case OpType::kLinear: execute_linear(c); return ok_status();
    case OpType::kRmsNorm: {
      const int64_t dim = last_dim(plan_.dims[c.inputs[0]]);
      const float* w = c.inputs.size() > 1 && c.inputs[1] >= 0 ? buffer(c.inputs[1]) : nullptr;
      kernel_rms_norm(row_input(c), plan_.elements[c.output] / dim, dim, w,
                      static_cast<float>(node.attr_float("eps", 1e-6)), buffer(c.output));
      return ok_status();
    }
    case OpType::kRope: {
      const auto& dims = plan_.dims[c.output];
      std::memcpy(buffer(c.output), buffer(c.inputs[0]), sizeof(float) * plan_.elements[c.output]);
      kernel_rope(buffer(c.output), dims[0], dims[1], dims[2], int_buffer(c.inputs[1]), c.inverse_frequencies);
      return ok_status();
    }
    case OpType::kAttention: execute_attention(c); return ok_status();
    case OpType::kReshape:
      if (lifetimes_.alias_of[c.output] < 0) {
        std::memcpy(buffer(c.output), buffer(c.inputs[0]), sizeof(float) * plan_.elements[c.output]);
      }
      return ok_status();
    case OpType::kSlice:
    case OpType::kConcat: execute_slice_concat(c); return ok_status();
    case OpType::kMoeRoute:
    case OpType::kMoeExperts:
    case OpType::kTokenBlocks: return execute_moe(c);
    default:
      if (is_media_op(node.op)) return execute_media(c);
      execute_elementwise(c);
      return ok_status();
  }
}

Status GraphInterpreter::set_media(const MediaInputs& media) {
  media_floats_.clear();
  const auto& values = graph_.data().values;
  auto expect = [&](const char* name, std::vector<int64_t> dims) -> Result<int> {
    int v = value_index(graph_, name);
    if (v < 0) return -1;
    if (values[v].dims != dims) {
      return Error(ErrorCode::kInvalidArgument, std::string("runtime: media input '") + name + "' has dims " +
                                                    dims_to_string(dims) + ", graph expects " +
                                                    dims_to_string(values[v].dims));
    }
    return v;
  };
  const Matrix& f = media.input_features;
  HFB_TRY(int features, expect(kGraphInputFeatures, {f.rows, f.cols}));
  if (features >= 0) media_floats_[features] = f.data;
  HFB_TRY(int mask, expect(kGraphInputFeaturesMask, {static_cast<int64_t>(media.input_features_mask.size())}));
  if (mask >= 0) media_floats_[mask].assign(media.input_features_mask.begin(), media.input_features_mask.end());
  const Matrix& px = media.pixel_values;
  HFB_TRY(int pixels, expect(kGraphPixelValues, {px.rows, px.cols}));
  if (pixels >= 0) media_floats_[pixels] = px.data;
  HFB_TRY(int positions, expect(kGraphImagePositionIds, {static_cast<int64_t>(media.image_position_ids.size() / 2), 2}));
  if (positions >= 0) image_positions_ = media.image_position_ids;
  return ok_status();
}

Status GraphInterpreter::execute_media(const CompiledNode& c) {
  const auto& values = graph_.data().values;
  std::vector<MediaTensor> inputs;
  for (int v : c.inputs) {
    MediaTensor t;
    if (v >= 0) {
      t.dims = plan_.dims[v];
      if (values[v].dtype == DTypeId::kI64) {
        t.ints = int_buffer(v);
      } else {
        t.data = buffer(v);
      }
    }
    inputs.push_back(std::move(t));
  }
  return execute_media_op(*c.node, inputs, plan_.dims[c.output], buffer(c.output));
}

}  // namespace hfb
