// conv-norm-swap on a hand-built light-conv graph (roles as the reader assigns them): the two norms
// of every block trade weights, found by roles and dataflow; refusals when the structure is unknown.
#include "passes/conv_norm_swap.h"

#include <gtest/gtest.h>

#include "tests/passes/synthetic_models.h"

namespace hfb {
namespace {

using testing::make_tensor;

/// One light-conv block per layer: rms_norm(pre) -> clamp -> linear(start) -> gelu ->
/// conv (a linear reading the depthwise-conv weight stands in) -> clamp -> rms_norm(conv_norm) ->
/// linear(end). `conv_norm` false leaves the second norm out.
Graph light_conv_graph(int layers, bool conv_norm = true) {
  Graph g;
  EXPECT_TRUE(g.add_input("x", DTypeId::kF32, {kSeqDim, 8}).ok());
  std::string x = "x";
  auto init = [&](const std::string& name, Role role, int layer, Shape shape) {
    EXPECT_TRUE(g.add_initializer(name, make_tensor(name, role, Tower::kAudio, layer, shape, true,
                                                    DTypeId::kF32)).ok());
    return name;
  };
  auto node = [&](OpType op, const std::string& name, std::vector<std::string> in, Attributes a = {}) {
    Status s = g.add_node(op, name, std::move(in), std::move(a), name);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    return name;
  };
  for (int i = 0; i < layers; ++i) {
    const std::string p = "a" + std::to_string(i) + ".";
    const std::string pre_w = init(p + "pre_layer_norm.weight", Role::kNorm, i, {8});
    const std::string start_w = init(p + "linear_start.weight", Role::kAudioLconvStart, i, {16, 8});
    const std::string conv_w = init(p + "conv.weight", Role::kAudioDepthwiseConv, i, {8, 16});
    const std::string end_w = init(p + "linear_end.weight", Role::kAudioLconvEnd, i, {8, 8});
    auto pre = node(OpType::kRmsNorm, p + "pre", {x, pre_w}, {{"eps", 1e-6}});
    auto clipped = node(OpType::kClamp, p + "clip_in", {pre}, {{"min", -5.0}, {"max", 5.0}});
    auto start = node(OpType::kLinear, p + "start", {clipped, start_w});
    auto act = node(OpType::kGeluTanh, p + "glu", {start});
    auto conv = node(OpType::kLinear, p + "conv", {act, conv_w});
    auto clamped = node(OpType::kClamp, p + "clamp", {conv}, {{"min", -5.0}, {"max", 5.0}});
    std::string normed = clamped;
    if (conv_norm) {
      const std::string cn_w = init(p + "conv_norm.weight", Role::kNorm, i, {8});
      normed = node(OpType::kRmsNorm, p + "conv_norm", {clamped, cn_w}, {{"eps", 1e-6}});
    }
    x = node(OpType::kLinear, p + "end", {normed, end_w});
  }
  EXPECT_TRUE(g.mark_output(x).ok());
  return g;
}

const Node& node_named(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes()) {
    if (n.name == name) return n;
  }
  static const Node kMissing;
  ADD_FAILURE() << name;
  return kMissing;
}

Result<PassReport> run(Graph* graph) {
  Model model;
  PassContext context;
  context.model = &model;
  context.graph = graph;
  return ConvNormSwapPass{}.run(context);
}

TEST(ConvNormSwapTest, SwapsBothNormsOfEveryBlock) {
  Graph graph = light_conv_graph(2);
  auto report = run(&graph);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->count(PassChange::Kind::kTensorRewired), 4u);
  for (int i = 0; i < 2; ++i) {
    const std::string p = "a" + std::to_string(i) + ".";
    EXPECT_EQ(node_named(graph, p + "pre").inputs[1], p + "conv_norm.weight");
    EXPECT_EQ(node_named(graph, p + "conv_norm").inputs[1], p + "pre_layer_norm.weight");
  }
  // A swap is its own inverse: running it again restores the source wiring.
  ASSERT_TRUE(run(&graph).ok());
  EXPECT_EQ(graph.to_text(), light_conv_graph(2).to_text());
}

TEST(ConvNormSwapTest, RefusesWithoutGraphOrRecognisableBlock) {
  Model model;
  PassContext context;
  context.model = &model;
  auto no_graph = ConvNormSwapPass{}.run(context);
  ASSERT_FALSE(no_graph.ok());
  EXPECT_NE(no_graph.error().message.find("needs the op graph"), std::string::npos);

  Graph missing = light_conv_graph(1, /*conv_norm=*/false);
  const std::string before = missing.to_text();
  auto refused = run(&missing);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("audio layer 0: no weighted rms_norm after the depthwise conv"),
            std::string::npos) << refused.error().message;
  EXPECT_EQ(missing.to_text(), before);
}

TEST(ConvNormSwapTest, NoAudioBlocksIsNoChange) {
  Graph graph;
  ASSERT_TRUE(graph.add_input("x", DTypeId::kF32, {kSeqDim, 8}).ok());
  ASSERT_TRUE(graph.add_node(OpType::kGeluTanh, "g", {"x"}, {}, "y").ok());
  ASSERT_TRUE(graph.mark_output("y").ok());
  auto report = run(&graph);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->changed());
}

}  // namespace
}  // namespace hfb
