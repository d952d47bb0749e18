// GraphData -> manifest protobuf (OpGraph for the whole graph, Graph for a chunk's nodes).
#include "writers/bundle_graph.h"

#include <string>
#include <variant>

namespace hfb {
namespace {

bundle::ValueKind value_kind_to_proto(ValueKind kind) {
  switch (kind) {
    case ValueKind::kInput: return bundle::VALUE_INPUT;
    case ValueKind::kInitializer: return bundle::VALUE_INITIALIZER;
    case ValueKind::kIntermediate: return bundle::VALUE_INTERMEDIATE;
  }
  return bundle::VALUE_INTERMEDIATE;
}

void attribute_to_proto(const std::string& name, const AttributeValue& value, bundle::Attribute* out) {
  out->set_name(name);
  if (const auto* i = std::get_if<int64_t>(&value)) {
    out->set_i(*i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    out->set_f(*d);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    out->set_s(*s);
  } else {
    bundle::IntList* list = out->mutable_ints();  // set even when empty: the oneof case records the type
    for (int64_t v : std::get<std::vector<int64_t>>(value)) list->add_values(v);
  }
}

void value_to_proto(const ValueInfo& value, bundle::ValueInfo* out) {
  out->set_name(value.name);
  out->set_kind(value_kind_to_proto(value.kind));
  out->set_dtype(std::string(value.dtype.name()));
  for (int64_t d : value.dims) out->add_dims(d);
  if (value.kind == ValueKind::kInitializer) {
    out->set_tensor(value.tensor);
    out->set_role(std::string(role_name(value.role)));
  }
  out->set_layer(value.layer);
}

}  // namespace

void node_to_proto(const Node& node, bundle::Node* out) {
  out->set_op(std::string(op_type_name(node.op)));
  out->set_name(node.name);
  for (const std::string& input : node.inputs) out->add_inputs(input);
  for (const std::string& output : node.outputs) out->add_outputs(output);
  for (const auto& [key, value] : node.attributes) attribute_to_proto(key, value, out->add_attributes());
}

void graph_to_proto(const GraphData& graph, bundle::OpGraph* out) {
  out->Clear();
  for (const ValueInfo& value : graph.values) value_to_proto(value, out->add_values());
  for (const StateInfo& state : graph.states) {
    bundle::StateInfo* s = out->add_states();
    s->set_name(state.name);
    s->set_num_kv_heads(state.num_kv_heads);
    s->set_head_dim(state.head_dim);
    s->set_window(state.window);
  }
  for (const Node& node : graph.nodes) node_to_proto(node, out->add_nodes());
  for (const std::string& name : graph.inputs) out->add_inputs(name);
  for (const std::string& name : graph.outputs) out->add_outputs(name);
  for (const std::string& name : graph.taps) out->add_taps(name);
}

void chunk_graph_to_proto(const ChunkGraph& chunk, bundle::Graph* out) {
  out->Clear();
  for (const Node& node : chunk.data.nodes) node_to_proto(node, out->add_nodes());
  for (const ValueInfo& value : chunk.data.values) {
    if (value.kind == ValueKind::kInitializer) out->add_initializers(value.tensor);
  }
  for (const std::string& name : chunk.inputs) out->add_inputs(name);
  for (const std::string& name : chunk.outputs) out->add_outputs(name);
  for (const std::string& name : chunk.imported_states) out->add_imported_states(name);
}

}  // namespace hfb
