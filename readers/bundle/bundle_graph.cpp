// OpGraph protobuf -> GraphData: names checked against core's tables, then Graph::from_data validates shapes.
#include "readers/bundle/bundle_graph.h"

#include <optional>
#include <utility>

#include "formats/bundle_format.h"
#include "readers/bundle/bundle_reader.h"

namespace hfb {
namespace {

constexpr size_t kMaxGraphRank = 8;

Error graph_file_error(const std::string& path, const std::string& message) {
  return Error(ErrorCode::kInvalidFile, "manifest text_graph: " + message).with_path(path);
}

Result<ValueKind> value_kind_from_proto(int kind) {
  switch (kind) {
    case bundle::VALUE_INPUT: return ValueKind::kInput;
    case bundle::VALUE_INITIALIZER: return ValueKind::kInitializer;
    case bundle::VALUE_INTERMEDIATE: return ValueKind::kIntermediate;
    default: return Error(ErrorCode::kInvalidFile, "unknown value kind " + std::to_string(kind));
  }
}

Result<ValueInfo> value_from_proto(const bundle::ValueInfo& proto) {
  ValueInfo value;
  value.name = proto.name();
  HFB_TRY(value.kind, value_kind_from_proto(proto.kind()));
  std::optional<DType> dtype = DType::from_name(proto.dtype());
  if (!dtype) return Error(ErrorCode::kInvalidFile, "unknown dtype '" + proto.dtype() + "'");
  value.dtype = *dtype;
  if (static_cast<size_t>(proto.dims_size()) > kMaxGraphRank) {
    return Error(ErrorCode::kInvalidFile, "rank " + std::to_string(proto.dims_size()) + " above " +
                                              std::to_string(kMaxGraphRank));
  }
  value.dims.assign(proto.dims().begin(), proto.dims().end());
  value.layer = proto.layer();
  if (value.kind == ValueKind::kInitializer) {
    value.tensor = proto.tensor();
    std::optional<Role> role = role_from_name(proto.role());
    if (!role) return Error(ErrorCode::kInvalidFile, "unknown role '" + proto.role() + "'");
    value.role = *role;
  }
  return value;
}

Result<AttributeValue> attribute_from_proto(const bundle::Attribute& proto) {
  switch (proto.value_case()) {
    case bundle::Attribute::kI: return AttributeValue(static_cast<int64_t>(proto.i()));
    case bundle::Attribute::kF: return AttributeValue(proto.f());
    case bundle::Attribute::kS: return AttributeValue(proto.s());
    case bundle::Attribute::kInts:
      return AttributeValue(std::vector<int64_t>(proto.ints().values().begin(), proto.ints().values().end()));
    case bundle::Attribute::kFloats:
      return Error(ErrorCode::kInvalidFile, "attribute '" + proto.name() + "' is a float list (the IR has none)");
    default: return Error(ErrorCode::kInvalidFile, "attribute '" + proto.name() + "' has no value");
  }
}

Result<Node> node_from_proto(const bundle::Node& proto) {
  Node node;
  node.name = proto.name();
  std::optional<OpType> op = op_type_from_name(proto.op());
  if (!op) {
    return Error(ErrorCode::kInvalidFile, "unknown op '" + proto.op() + "' (written by a newer hfbundle?)");
  }
  node.op = *op;
  node.inputs.assign(proto.inputs().begin(), proto.inputs().end());
  node.outputs.assign(proto.outputs().begin(), proto.outputs().end());
  for (const bundle::Attribute& a : proto.attributes()) {
    HFB_TRY(AttributeValue value, attribute_from_proto(a));
    if (!node.attributes.emplace(a.name(), std::move(value)).second) {
      return Error(ErrorCode::kInvalidFile, "attribute '" + a.name() + "' given twice");
    }
  }
  return node;
}

}  // namespace

Result<GraphData> graph_from_proto(const bundle::OpGraph& proto, const std::string& path) {
  GraphData data;
  for (int i = 0; i < proto.values_size(); ++i) {
    auto value = value_from_proto(proto.values(i));
    if (!value.ok()) {
      return graph_file_error(path, "value " + std::to_string(i) + " '" + proto.values(i).name() +
                                        "': " + value.error().message);
    }
    data.values.push_back(std::move(value).value());
  }
  for (const bundle::StateInfo& s : proto.states()) {
    data.states.push_back(StateInfo{s.name(), s.num_kv_heads(), s.head_dim(), s.window()});
  }
  for (int i = 0; i < proto.nodes_size(); ++i) {
    auto node = node_from_proto(proto.nodes(i));
    if (!node.ok()) {
      return graph_file_error(path, "node " + std::to_string(i) + " '" + proto.nodes(i).name() +
                                        "': " + node.error().message);
    }
    data.nodes.push_back(std::move(node).value());
  }
  data.inputs.assign(proto.inputs().begin(), proto.inputs().end());
  data.outputs.assign(proto.outputs().begin(), proto.outputs().end());
  data.taps.assign(proto.taps().begin(), proto.taps().end());
  return data;
}

Result<Graph> graph_from_proto_validated(const bundle::OpGraph& proto, const std::string& path) {
  HFB_TRY(GraphData data, graph_from_proto(proto, path));
  auto graph = Graph::from_data(data);
  if (!graph.ok()) {
    Error error = std::move(graph).error();
    if (error.code != ErrorCode::kInternal) error.code = ErrorCode::kInvalidFile;
    error.message = "manifest text_graph: " + error.message;
    return std::move(error).with_path(path);
  }
  return graph;
}

Result<Graph> bundle_text_graph(const Bundle& bundle) {
  const std::string path = bundle.path() + (bundle.is_zip() ? ":" : "/") + kBundleManifestName;
  if (!bundle.manifest().has_text_graph() || bundle.manifest().text_graph().nodes_size() == 0) {
    return Error(ErrorCode::kNotFound, "the bundle stores no text graph (written by hfbundle before format 1.1?)")
        .with_path(path);
  }
  return graph_from_proto_validated(bundle.manifest().text_graph(), path);
}

}  // namespace hfb
