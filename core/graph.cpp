// Graph construction, validation on insert, and the readable to_text() listing.
#include "core/graph.h"

#include <cmath>

#include "core/limits.h"

#include <algorithm>
#include <array>
#include <sstream>

namespace hfb {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(OpType::kCount)> kOpNames = {
    "gather", "linear", "add",   "mul",   "mul_scalar", "rms_norm", "rope",   "attention",
    "gelu_tanh", "silu", "softcap", "clamp", "reshape", "slice", "concat",
    "conv2d", "layer_norm", "relu", "glu", "mask_rows", "stride_rows", "depthwise_conv1d", "per_dim_scale",
    "sinusoid_positions", "local_attention", "bias_add", "clip", "affine", "patch_mask", "position_embedding_2d",
    "rope_2d", "masked_attention", "position_pool", "standardize", "scatter_tokens", "moe_route", "moe_experts",
    "token_blocks",
};

Error graph_error(const std::string& message) { return Error(ErrorCode::kInvalidArgument, message); }

std::string attribute_to_string(const AttributeValue& value) {
  std::ostringstream out;
  if (auto i = std::get_if<int64_t>(&value)) {
    out << *i;
  } else if (auto d = std::get_if<double>(&value)) {
    out << *d;
  } else if (auto s = std::get_if<std::string>(&value)) {
    out << '"' << *s << '"';
  } else {
    out << dims_to_string(std::get<std::vector<int64_t>>(value));
  }
  return out.str();
}

const char* value_kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::kInput: return "input";
    case ValueKind::kInitializer: return "initializer";
    case ValueKind::kIntermediate: return "value";
  }
  return "?";
}

}  // namespace

std::string_view op_type_name(OpType op) {
  size_t i = static_cast<size_t>(op);
  return i < kOpNames.size() ? kOpNames[i] : std::string_view("?");
}

std::optional<OpType> op_type_from_name(std::string_view name) {
  for (size_t i = 0; i < kOpNames.size(); ++i) {
    if (kOpNames[i] == name) return static_cast<OpType>(i);
  }
  return std::nullopt;
}

std::string dims_to_string(const std::vector<int64_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) out += ", ";
    out += dims[i] == kSeqDim ? std::string("L") : std::to_string(dims[i]);
  }
  return out + "]";
}

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  auto it = attributes.find(key);
  if (it == attributes.end()) return fallback;
  if (auto i = std::get_if<int64_t>(&it->second)) return *i;
  if (auto d = std::get_if<double>(&it->second)) return static_cast<int64_t>(*d);
  return fallback;
}

double Node::attr_float(const std::string& key, double fallback) const {
  auto it = attributes.find(key);
  if (it == attributes.end()) return fallback;
  if (auto d = std::get_if<double>(&it->second)) return *d;
  if (auto i = std::get_if<int64_t>(&it->second)) return static_cast<double>(*i);
  return fallback;
}

std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  auto it = attributes.find(key);
  if (it == attributes.end()) return fallback;
  if (auto s = std::get_if<std::string>(&it->second)) return *s;
  return fallback;
}

std::vector<int64_t> Node::attr_ints(const std::string& key) const {
  auto it = attributes.find(key);
  if (it == attributes.end()) return {};
  if (auto v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  return {};
}

Status Graph::add_value(ValueInfo value) {
  if (value.name.empty()) return graph_error("graph: empty value name");
  if (value_index_.count(value.name)) return graph_error("graph: value '" + value.name + "' defined twice");
  value_index_[value.name] = data_.values.size();
  data_.values.push_back(std::move(value));
  return ok_status();
}

Status Graph::add_input(const std::string& name, DType dtype, std::vector<int64_t> dims) {
  ValueInfo value;
  value.name = name;
  value.kind = ValueKind::kInput;
  value.dtype = dtype;
  value.dims = std::move(dims);
  HFB_TRY(add_value(std::move(value)));
  data_.inputs.push_back(name);
  return ok_status();
}

Status Graph::add_initializer(const std::string& name, const TensorInfo& info) {
  ValueInfo value;
  value.name = name;
  value.kind = ValueKind::kInitializer;
  value.dtype = info.dtype;
  value.dims = info.shape.dims();
  value.tensor = info.name;
  value.role = info.role;
  value.layer = info.layer;
  return add_value(std::move(value));
}

Status Graph::add_state(const StateInfo& state) {
  if (state_index_.count(state.name)) return graph_error("graph: state '" + state.name + "' defined twice");
  if (state.num_kv_heads <= 0 || state.head_dim <= 0 || state.window < 0) {
    return graph_error("graph: state '" + state.name + "' has non-positive sizes");
  }
  const Limits& l = limits();
  if (state.num_kv_heads > l.max_heads || state.head_dim > l.max_dim || state.window > l.max_window) {
    Error e = graph_error("graph: state '" + state.name + "': kv heads " + std::to_string(state.num_kv_heads) +
                          ", head_dim " + std::to_string(state.head_dim) + " or window " + std::to_string(state.window) +
                          " above the limits (" + std::to_string(l.max_heads) + ", " + std::to_string(l.max_dim) + ", " +
                          std::to_string(l.max_window) + "; --limit heads/dim/window=N raise them)");
    e.code = ErrorCode::kLimit;
    return e;
  }
  state_index_[state.name] = data_.states.size();
  data_.states.push_back(state);
  if (state.imported) state_written_[state.name] = true;  // written by an earlier chunk
  return ok_status();
}

Status Graph::check_state_use(const Node& node) {
  std::string state_name = node.attr_string("state", "");
  if (state_name.empty()) return ok_status();
  const StateInfo* state = find_state(state_name);
  if (!state) return graph_error("graph: node '" + node.name + "' uses unknown state '" + state_name + "'");
  if (node.attr_int("num_kv_heads", 0) != state->num_kv_heads || node.attr_int("head_dim", 0) != state->head_dim) {
    return graph_error("graph: node '" + node.name + "' kv heads/head_dim differ from state '" + state_name + "'");
  }
  bool writes = node.attr_int("writes_state", 0) != 0;
  bool written = state_written_[state_name];
  if (writes && written) {
    return graph_error("graph: state '" + state_name + "' written by a second node '" + node.name + "'");
  }
  if (!writes && !written) {
    return graph_error("graph: node '" + node.name + "' reads state '" + state_name + "' before any node writes it");
  }
  if (writes) state_written_[state_name] = true;
  return ok_status();
}

Status Graph::add_node(OpType op, const std::string& name, std::vector<std::string> inputs,
                       Attributes attributes, const std::string& output) {
  Node node;
  node.name = name;
  node.op = op;
  node.inputs = std::move(inputs);
  node.outputs = {output};
  node.attributes = std::move(attributes);
  for (const auto& [key, value] : node.attributes) {  // a NaN/Inf attribute (eps, scale, theta) is never valid
    const double* f = std::get_if<double>(&value);
    if (f != nullptr && !std::isfinite(*f)) {
      return graph_error("graph: node '" + name + "': attribute " + key + " is not finite (" + attribute_to_string(value) + ")");
    }
  }
  std::vector<const ValueInfo*> input_values;
  for (const std::string& input : node.inputs) {
    if (input.empty()) {
      input_values.push_back(nullptr);
      continue;
    }
    const ValueInfo* value = find_value(input);
    if (!value) return graph_error("graph: node '" + name + "' reads unknown value '" + input + "'");
    input_values.push_back(value);
  }
  HFB_TRY(auto dims, infer_node_dims(node, input_values));
  if (op == OpType::kAttention) HFB_TRY(check_state_use(node));
  ValueInfo value;
  value.name = output;
  value.dims = std::move(dims);
  HFB_TRY(add_value(std::move(value)));
  data_.nodes.push_back(std::move(node));
  return ok_status();
}

Status Graph::mark_output(const std::string& name) {
  if (!find_value(name)) return Error(ErrorCode::kNotFound, "graph: output '" + name + "' is not a value");
  data_.outputs.push_back(name);
  return ok_status();
}

Status Graph::mark_tap(const std::string& name) {
  if (!find_value(name)) return Error(ErrorCode::kNotFound, "graph: tap '" + name + "' is not a value");
  data_.taps.push_back(name);
  return ok_status();
}

const ValueInfo* Graph::find_value(const std::string& name) const {
  auto it = value_index_.find(name);
  return it == value_index_.end() ? nullptr : &data_.values[it->second];
}

const StateInfo* Graph::find_state(const std::string& name) const {
  auto it = state_index_.find(name);
  return it == state_index_.end() ? nullptr : &data_.states[it->second];
}

Result<Graph> Graph::from_data(const GraphData& data) {
  Graph graph;
  for (const StateInfo& state : data.states) HFB_TRY(graph.add_state(state));
  for (const ValueInfo& value : data.values) {
    if (value.kind == ValueKind::kIntermediate) continue;
    HFB_TRY(graph.add_value(value));
  }
  graph.data_.inputs = data.inputs;
  for (const Node& node : data.nodes) {
    if (node.outputs.size() != 1) return graph_error("graph: node '" + node.name + "' must have one output");
    HFB_TRY(graph.add_node(node.op, node.name, node.inputs, node.attributes, node.outputs[0]));
  }
  for (const std::string& name : data.outputs) HFB_TRY(graph.mark_output(name));
  for (const std::string& name : data.taps) HFB_TRY(graph.mark_tap(name));
  return graph;
}

Result<Graph> respecialize(const GraphData& data, const std::map<std::string, std::vector<int64_t>>& input_dims) {
  GraphData copy = data;
  for (const auto& entry : input_dims) {
    const std::string& name = entry.first;  // not a structured binding: C++17 lambdas cannot capture those
    auto it = std::find_if(copy.values.begin(), copy.values.end(),
                           [&](const ValueInfo& v) { return v.name == name && v.kind == ValueKind::kInput; });
    if (it == copy.values.end()) {
      return Error(ErrorCode::kNotFound, "graph: respecialize: '" + name + "' is not a graph input");
    }
    it->dims = entry.second;
  }
  return Graph::from_data(copy);
}

std::string Graph::to_text() const {
  std::ostringstream out;
  out << "graph: " << data_.nodes.size() << " nodes, " << data_.values.size() << " values, "
      << data_.states.size() << " states\n";
  for (const ValueInfo& value : data_.values) {
    if (value.kind == ValueKind::kIntermediate) continue;
    out << value_kind_name(value.kind) << ' ' << value.name << ": " << value.dtype.name() << ' '
        << dims_to_string(value.dims);
    if (value.kind == ValueKind::kInitializer && value.tensor != value.name) out << " <- " << value.tensor;
    if (value.kind == ValueKind::kInitializer) out << " (" << role_name(value.role) << ')';
    out << '\n';
  }
  for (const StateInfo& state : data_.states) {
    out << "state " << state.name << ": kv_heads=" << state.num_kv_heads << " head_dim=" << state.head_dim
        << " window=" << state.window << '\n';
  }
  for (const Node& node : data_.nodes) {
    const ValueInfo* result = find_value(node.outputs[0]);
    out << node.outputs[0] << ' ' << (result ? dims_to_string(result->dims) : "?") << " = "
        << op_type_name(node.op) << '(';
    for (size_t i = 0; i < node.inputs.size(); ++i) out << (i ? ", " : "") << (node.inputs[i].empty() ? "_" : node.inputs[i]);
    out << ')';
    for (const auto& [key, value] : node.attributes) out << ' ' << key << '=' << attribute_to_string(value);
    out << "  # " << node.name << '\n';
  }
  for (const std::string& name : data_.outputs) out << "output " << name << '\n';
  return out.str();
}

}  // namespace hfb
