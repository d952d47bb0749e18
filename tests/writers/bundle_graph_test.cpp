// The manifest's op graph: GraphData -> OpGraph -> (wire bytes) -> GraphData is exact on the sample text
// graph; unknown ops, dtypes and roles, and shapes that disagree, are refused with the node or value named.
#include <gtest/gtest.h>

#include <string>

#include "models/gemma4/text_graph_builder.h"
#include "models/load_checkpoint.h"
#include "readers/bundle/bundle_graph.h"
#include "writers/bundle_graph.h"

namespace hfb {
namespace {

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

GraphData sample_graph() {
  auto model = load_checkpoint(kSample);
  EXPECT_TRUE(model.ok()) << model.error().to_string();
  auto graph = build_gemma4_text_graph(model->config, model->tensors);
  EXPECT_TRUE(graph.ok()) << graph.error().to_string();
  return graph->data();
}

void expect_same_values(const std::vector<ValueInfo>& a, const std::vector<ValueInfo>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(a[i].name);
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].kind, b[i].kind);
    EXPECT_EQ(a[i].dtype, b[i].dtype);
    EXPECT_EQ(a[i].dims, b[i].dims);
    EXPECT_EQ(a[i].tensor, b[i].tensor);
    if (a[i].kind == ValueKind::kInitializer) {
      EXPECT_EQ(a[i].role, b[i].role);
    }
    EXPECT_EQ(a[i].layer, b[i].layer);
  }
}

void expect_same_graph(const GraphData& a, const GraphData& b) {
  expect_same_values(a.values, b.values);
  ASSERT_EQ(a.states.size(), b.states.size());
  for (size_t i = 0; i < a.states.size(); ++i) {
    EXPECT_EQ(a.states[i].name, b.states[i].name);
    EXPECT_EQ(a.states[i].num_kv_heads, b.states[i].num_kv_heads);
    EXPECT_EQ(a.states[i].head_dim, b.states[i].head_dim);
    EXPECT_EQ(a.states[i].window, b.states[i].window);
  }
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    SCOPED_TRACE(a.nodes[i].name);
    EXPECT_EQ(a.nodes[i].name, b.nodes[i].name);
    EXPECT_EQ(a.nodes[i].op, b.nodes[i].op);
    EXPECT_EQ(a.nodes[i].inputs, b.nodes[i].inputs);
    EXPECT_EQ(a.nodes[i].outputs, b.nodes[i].outputs);
    EXPECT_EQ(a.nodes[i].attributes, b.nodes[i].attributes);  // variant equality: type and value
  }
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.outputs, b.outputs);
  EXPECT_EQ(a.taps, b.taps);
}

TEST(BundleGraph, SampleTextGraphRoundTripsThroughWireBytes) {
  const GraphData original = sample_graph();
  ASSERT_GT(original.nodes.size(), 20u);
  ASSERT_FALSE(original.states.empty());
  bundle::OpGraph proto;
  graph_to_proto(original, &proto);
  std::string bytes;
  ASSERT_TRUE(proto.SerializeToString(&bytes));
  bundle::OpGraph parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  auto back = graph_from_proto(parsed, "manifest.pb");
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  expect_same_graph(original, *back);
  auto graph = graph_from_proto_validated(parsed, "manifest.pb");
  ASSERT_TRUE(graph.ok()) << graph.error().to_string();
  // Graph::from_data lists inputs and initializers before node outputs: same values, re-inferred, by name.
  ASSERT_EQ(graph->data().values.size(), original.values.size());
  for (const ValueInfo& value : original.values) {
    const ValueInfo* rebuilt = graph->find_value(value.name);
    ASSERT_NE(rebuilt, nullptr) << value.name;
    expect_same_values({value}, {*rebuilt});
  }
  EXPECT_EQ(graph->to_text(), Graph::from_data(original)->to_text());
}

TEST(BundleGraph, EveryAttributeTypeKeepsItsType) {
  GraphData data;
  Node node;
  node.name = "n0";
  node.op = OpType::kGather;
  node.outputs = {"y"};
  node.attributes = {{"scale", 1.0}, {"replace_ids", std::vector<int64_t>{}}, {"replace_with", int64_t{0}},
                     {"mode", std::string("x")}, {"list", std::vector<int64_t>{-1, 4}}};
  data.nodes.push_back(node);
  bundle::OpGraph proto;
  graph_to_proto(data, &proto);
  bundle::OpGraph parsed;
  ASSERT_TRUE(parsed.ParseFromString(proto.SerializeAsString()));
  auto back = graph_from_proto(parsed, "m");
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  ASSERT_EQ(back->nodes.size(), 1u);
  EXPECT_EQ(back->nodes[0].attributes, node.attributes);
  EXPECT_TRUE(std::holds_alternative<double>(back->nodes[0].attributes.at("scale")));
  EXPECT_TRUE(std::holds_alternative<std::vector<int64_t>>(back->nodes[0].attributes.at("replace_ids")));
}

TEST(BundleGraph, UnknownOpIsRefusedNamingTheNode) {
  bundle::OpGraph proto;
  graph_to_proto(sample_graph(), &proto);
  proto.mutable_nodes(3)->set_op("frobnicate");
  const std::string name = proto.nodes(3).name();
  auto back = graph_from_proto(proto, "b.hfb/manifest.pb");
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code, ErrorCode::kInvalidFile);
  EXPECT_NE(back.error().message.find("'" + name + "'"), std::string::npos) << back.error().message;
  EXPECT_NE(back.error().message.find("frobnicate"), std::string::npos);
  EXPECT_EQ(back.error().path, "b.hfb/manifest.pb");
}

TEST(BundleGraph, UnknownDtypeRoleAndEmptyAttributeAreRefused) {
  const GraphData data = sample_graph();
  bundle::OpGraph proto;
  graph_to_proto(data, &proto);
  bundle::OpGraph bad_dtype = proto;
  bad_dtype.mutable_values(0)->set_dtype("F7");
  EXPECT_EQ(graph_from_proto(bad_dtype, "m").error().code, ErrorCode::kInvalidFile);
  bundle::OpGraph bad_role = proto;
  for (bundle::ValueInfo& v : *bad_role.mutable_values()) {
    if (v.kind() == bundle::VALUE_INITIALIZER) v.set_role("wizard");
  }
  auto role = graph_from_proto(bad_role, "m");
  ASSERT_FALSE(role.ok());
  EXPECT_NE(role.error().message.find("wizard"), std::string::npos);
  bundle::OpGraph no_value = proto;
  for (bundle::Node& n : *no_value.mutable_nodes()) {
    if (n.attributes_size() > 0) {
      n.mutable_attributes(0)->clear_value();
      break;
    }
  }
  EXPECT_EQ(graph_from_proto(no_value, "m").error().code, ErrorCode::kInvalidFile);
}

TEST(BundleGraph, ShapeDisagreementFailsValidation) {
  bundle::OpGraph proto;
  graph_to_proto(sample_graph(), &proto);
  bool changed = false;
  for (bundle::ValueInfo& v : *proto.mutable_values()) {
    if (v.kind() == bundle::VALUE_INITIALIZER && v.dims_size() == 2) {
      v.set_dims(1, v.dims(1) + 3);  // a weight's input width no longer matches its input
      changed = true;
      break;
    }
  }
  ASSERT_TRUE(changed);
  ASSERT_TRUE(graph_from_proto(proto, "m").ok());  // plain form is fine; validation is not
  auto graph = graph_from_proto_validated(proto, "x/manifest.pb");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code, ErrorCode::kInvalidFile);
  EXPECT_EQ(graph.error().path, "x/manifest.pb");
}

}  // namespace
}  // namespace hfb
