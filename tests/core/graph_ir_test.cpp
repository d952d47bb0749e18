// Graph IR: shape validation at build time, state rules, plain-form round trip, printing.
#include <gtest/gtest.h>

#include "core/graph.h"

namespace hfb {
namespace {

TensorInfo tensor(const std::string& name, Shape shape, Role role = Role::kNorm) {
  TensorInfo info;
  info.name = name;
  info.dtype = DTypeId::kF32;
  info.shape = std::move(shape);
  info.role = role;
  return info;
}

Graph small_graph() {
  Graph g;
  EXPECT_TRUE(g.add_input("ids", DTypeId::kI64, {kSeqDim}).ok());
  EXPECT_TRUE(g.add_input("pos", DTypeId::kI64, {kSeqDim}).ok());
  EXPECT_TRUE(g.add_initializer("emb", tensor("model.embed_tokens.weight", {10, 8}, Role::kTokenEmbedding)).ok());
  EXPECT_TRUE(g.add_initializer("wq", tensor("q", {8, 8}, Role::kAttnQ)).ok());
  EXPECT_TRUE(g.add_state({"kv.0", 1, 4, 3}).ok());
  EXPECT_TRUE(g.add_node(OpType::kGather, "x", {"ids", "emb"}, {}, "x").ok() == false);  // args swapped
  EXPECT_TRUE(g.add_node(OpType::kGather, "x", {"emb", "ids"}, {{"scale", 2.0}}, "x").ok());
  EXPECT_TRUE(g.add_node(OpType::kLinear, "q", {"x", "wq"}, {}, "q").ok());
  EXPECT_TRUE(g.add_node(OpType::kReshape, "q3", {"q"}, {{"shape", std::vector<int64_t>{kSeqDim, 2, 4}}}, "q3").ok());
  return g;
}

TEST(GraphIr, OpNamesRoundTrip) {
  for (int i = 0; i < static_cast<int>(OpType::kCount); ++i) {
    auto op = static_cast<OpType>(i);
    auto back = op_type_from_name(op_type_name(op));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, op);
  }
  EXPECT_FALSE(op_type_from_name("conv9d").has_value());
}

TEST(GraphIr, InfersSymbolicShapes) {
  Graph g = small_graph();
  ASSERT_NE(g.find_value("q3"), nullptr);
  EXPECT_EQ(g.find_value("q3")->dims, (std::vector<int64_t>{kSeqDim, 2, 4}));
  EXPECT_EQ(g.find_value("x")->dims, (std::vector<int64_t>{kSeqDim, 8}));
  EXPECT_EQ(g.find_value("wq")->role, Role::kAttnQ);
}

TEST(GraphIr, RejectsMismatchedLinear) {
  Graph g = small_graph();
  ASSERT_TRUE(g.add_initializer("bad", tensor("bad", {8, 7})).ok());
  Status s = g.add_node(OpType::kLinear, "y", {"x", "bad"}, {}, "y");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("[8, 7]"), std::string::npos) << s.error().message;
}

TEST(GraphIr, RejectsBadReshapeAndUnknownInput) {
  Graph g = small_graph();
  EXPECT_FALSE(g.add_node(OpType::kReshape, "r", {"q"}, {{"shape", std::vector<int64_t>{kSeqDim, 3, 3}}}, "r").ok());
  EXPECT_FALSE(g.add_node(OpType::kAdd, "a", {"q", "nope"}, {}, "a").ok());
  EXPECT_FALSE(g.add_node(OpType::kAdd, "a", {"q", "q3"}, {}, "a").ok());
  EXPECT_FALSE(g.add_node(OpType::kAdd, "q", {"q", "q"}, {}, "q").ok());  // name taken
}

Attributes attention_attrs(bool writes) {
  return {{"num_heads", int64_t{2}}, {"num_kv_heads", int64_t{1}}, {"head_dim", int64_t{4}},
          {"window", int64_t{3}},    {"state", std::string("kv.0")}, {"writes_state", int64_t{writes ? 1 : 0}}};
}

TEST(GraphIr, StateReaderNeedsEarlierWriter) {
  Graph g = small_graph();
  ASSERT_TRUE(g.add_node(OpType::kReshape, "k", {"q"}, {{"shape", std::vector<int64_t>{kSeqDim, 2, 4}}}, "k").ok());
  ASSERT_TRUE(g.add_node(OpType::kSlice, "k1", {"k"}, {{"axis", int64_t{1}}, {"start", int64_t{0}}, {"end", int64_t{1}}},
                         "k1").ok());
  Status early = g.add_node(OpType::kAttention, "r", {"q3", "", "", "pos"}, attention_attrs(false), "r");
  EXPECT_FALSE(early.ok());
  ASSERT_TRUE(g.add_node(OpType::kAttention, "w", {"q3", "k1", "k1", "pos"}, attention_attrs(true), "w").ok());
  EXPECT_FALSE(g.add_node(OpType::kAttention, "w2", {"q3", "k1", "k1", "pos"}, attention_attrs(true), "w2").ok());
  EXPECT_TRUE(g.add_node(OpType::kAttention, "r2", {"q3", "", "", "pos"}, attention_attrs(false), "r2").ok());
  EXPECT_FALSE(g.add_node(OpType::kAttention, "r3", {"q3", "k1", "k1", "pos"}, attention_attrs(false), "r3").ok());
}

TEST(GraphIr, PlainFormRoundTripsAndPrints) {
  Graph g = small_graph();
  ASSERT_TRUE(g.mark_output("q3").ok());
  EXPECT_FALSE(g.mark_output("missing").ok());
  auto copy = Graph::from_data(g.data());
  ASSERT_TRUE(copy.ok()) << copy.error().to_string();
  EXPECT_EQ(copy->to_text(), g.to_text());
  std::string text = g.to_text();
  EXPECT_NE(text.find("q3 [L, 2, 4] = reshape(q)"), std::string::npos) << text;
  EXPECT_NE(text.find("<- model.embed_tokens.weight (token_embedding)"), std::string::npos) << text;
  GraphData broken = g.data();
  broken.nodes[1].inputs[1] = "nope";
  EXPECT_FALSE(Graph::from_data(broken).ok());
}

}  // namespace
}  // namespace hfb

namespace hfb {
namespace {

TEST(GraphIr, MoeOpsAreShapeCheckedWhenAdded) {
  Graph g;
  ASSERT_TRUE(g.add_input("x", DTypeId::kF32, {kSeqDim, 8}).ok());
  ASSERT_TRUE(g.add_input("input_ids", DTypeId::kI64, {kSeqDim}).ok());
  ASSERT_TRUE(g.add_initializer("proj", tensor("router.proj.weight", {4, 8}, Role::kMoeRouter)).ok());
  ASSERT_TRUE(g.add_initializer("scale", tensor("router.per_expert_scale", {4}, Role::kMoeExpertScale)).ok());
  ASSERT_TRUE(g.add_initializer("gu", tensor("experts.gate_up_proj", {4, 6, 8}, Role::kMoeGateUp)).ok());
  ASSERT_TRUE(g.add_initializer("down", tensor("experts.down_proj", {4, 8, 3}, Role::kMoeDown)).ok());
  ASSERT_TRUE(g.add_node(OpType::kLinear, "logits", {"x", "proj"}, {}, "logits").ok());
  EXPECT_FALSE(g.add_node(OpType::kMoeRoute, "bad_k", {"logits", "scale"}, {{"top_k", int64_t{5}}}, "r5").ok());
  ASSERT_TRUE(g.add_node(OpType::kMoeRoute, "route", {"logits", "scale"}, {{"top_k", int64_t{2}}}, "route").ok());
  EXPECT_EQ(g.find_value("route")->dims, (std::vector<int64_t>{kSeqDim, 4}));
  const Attributes attrs{{"top_k", int64_t{2}}, {"activation", std::string("gelu_tanh")}};
  auto bad = g.add_node(OpType::kMoeExperts, "swapped", {"x", "route", "down", "gu"}, attrs, "y0");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("gate_up"), std::string::npos) << bad.error().message;
  ASSERT_TRUE(g.add_node(OpType::kMoeExperts, "experts", {"x", "route", "gu", "down"}, attrs, "y").ok());
  EXPECT_EQ(g.find_value("y")->dims, (std::vector<int64_t>{kSeqDim, 8}));
  ASSERT_TRUE(g.add_node(OpType::kTokenBlocks, "blocks", {"input_ids"}, {{"token_ids", std::vector<int64_t>{7}}},
                         "blocks")
                  .ok());
  EXPECT_FALSE(g.add_node(OpType::kTokenBlocks, "empty", {"input_ids"}, {}, "b2").ok());
  auto round = Graph::from_data(g.data());
  EXPECT_TRUE(round.ok()) << round.error().to_string();
}

}  // namespace
}  // namespace hfb
