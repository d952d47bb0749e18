// Relative size attributes (reshape 0 = copy, position_pool length from rows) and respecialize(): one graph,
// re-inferred for other input dims.
#include <gtest/gtest.h>

#include "core/graph.h"

namespace hfb {
namespace {

using Dims = std::vector<int64_t>;

TensorInfo tensor(const std::string& name, Shape shape) {
  TensorInfo info;
  info.name = name;
  info.dtype = DTypeId::kF32;
  info.shape = std::move(shape);
  return info;
}

// x [rows, 8] -> linear -> reshape {0, 2, 4} -> reshape {0, 8} -> position_pool (kernel 2) -> [rows/4, 8].
Graph pooled_graph(int64_t rows) {
  Graph g;
  EXPECT_TRUE(g.add_input("x", DTypeId::kF32, {rows, 8}).ok());
  EXPECT_TRUE(g.add_input("pos", DTypeId::kI64, {rows, 2}).ok());
  EXPECT_TRUE(g.add_initializer("w", tensor("w", {8, 8})).ok());
  EXPECT_TRUE(g.add_node(OpType::kLinear, "y", {"x", "w"}, {}, "y").ok());
  EXPECT_TRUE(g.add_node(OpType::kReshape, "heads", {"y"}, {{"shape", Dims{0, 2, 4}}}, "heads").ok());
  EXPECT_TRUE(g.add_node(OpType::kReshape, "flat", {"heads"}, {{"shape", Dims{0, 8}}}, "flat").ok());
  EXPECT_TRUE(g.add_node(OpType::kPositionPool, "pool", {"flat", "pos"}, {{"kernel", int64_t{2}}}, "pool").ok());
  EXPECT_TRUE(g.mark_output("pool").ok());
  return g;
}

TEST(GraphRespecialize, ReshapeZeroCopiesTheInputDim) {
  Graph g = pooled_graph(8);
  EXPECT_EQ(g.find_value("heads")->dims, (Dims{8, 2, 4}));
  EXPECT_EQ(g.find_value("flat")->dims, (Dims{8, 8}));
  // With the symbolic dim: 0 copies L.
  ASSERT_TRUE(g.add_input("ids", DTypeId::kF32, {kSeqDim, 8}).ok());
  ASSERT_TRUE(g.add_node(OpType::kReshape, "s", {"ids"}, {{"shape", Dims{0, 4, 2}}}, "s").ok());
  EXPECT_EQ(g.find_value("s")->dims, (Dims{kSeqDim, 4, 2}));
  // 0 past the input's rank, or a copy that breaks the element count, is rejected naming the node.
  Status past = g.add_node(OpType::kReshape, "past", {"flat"}, {{"shape", Dims{64, 1, 0}}}, "past");
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.error().message.find("'past'"), std::string::npos) << past.error().message;
  Status count = g.add_node(OpType::kReshape, "count", {"flat"}, {{"shape", Dims{0, 4}}}, "count");
  ASSERT_FALSE(count.ok());
  EXPECT_NE(count.error().message.find("[8, 4]"), std::string::npos) << count.error().message;
}

TEST(GraphRespecialize, PositionPoolLengthComesFromRows) {
  Graph g = pooled_graph(8);
  EXPECT_EQ(g.find_value("pool")->dims, (Dims{2, 8}));
  // An explicit length (older graphs) must agree with rows / kernel^2.
  EXPECT_TRUE(g.add_node(OpType::kPositionPool, "ok", {"flat", "pos"}, {{"kernel", int64_t{2}}, {"length", int64_t{2}}},
                         "ok").ok());
  Status bad = g.add_node(OpType::kPositionPool, "bad", {"flat", "pos"},
                          {{"kernel", int64_t{2}}, {"length", int64_t{3}}}, "bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("length 3"), std::string::npos) << bad.error().message;
}

TEST(GraphRespecialize, ReinfersEveryNodeForNewInputDims) {
  Graph small = pooled_graph(8);
  auto big = respecialize(small.data(), {{"x", {20, 8}}, {"pos", {20, 2}}});
  ASSERT_TRUE(big.ok()) << big.error().to_string();
  EXPECT_EQ(big->find_value("heads")->dims, (Dims{20, 2, 4}));
  EXPECT_EQ(big->find_value("pool")->dims, (Dims{5, 8}));
  EXPECT_EQ(big->to_text(), pooled_graph(20).to_text());
  // The source is untouched.
  EXPECT_EQ(small.find_value("x")->dims, (Dims{8, 8}));
}

TEST(GraphRespecialize, FailsForUnknownInputsAndSizesThatDoNotFit) {
  Graph g = pooled_graph(8);
  auto unknown = respecialize(g.data(), {{"heads", {4, 2, 4}}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_NE(unknown.error().message.find("'heads'"), std::string::npos);
  auto initializer = respecialize(g.data(), {{"w", {4, 4}}});
  ASSERT_FALSE(initializer.ok());
  EXPECT_EQ(initializer.error().code, ErrorCode::kNotFound);
  // 6 rows do not pool with kernel 2: the error names the node.
  auto odd = respecialize(g.data(), {{"x", {6, 8}}, {"pos", {6, 2}}});
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(odd.error().message.find("'pool'"), std::string::npos) << odd.error().message;
  // Inputs that disagree with each other fail at the first node reading both.
  auto mixed = respecialize(g.data(), {{"x", {12, 8}}});
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.error().message.find("'pool'"), std::string::npos) << mixed.error().message;
}

}  // namespace
}  // namespace hfb
