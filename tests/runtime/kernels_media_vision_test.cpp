// Vision and merge kernels, each on its own: patch mask, 2-D position table, 2-D RoPE, masked attention,
// position pooling, standardize, clip, soft-token scatter; plus shape inference of the new ops.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/graph.h"
#include "runtime/kernels_vision.h"

namespace hfb {
namespace {

TEST(KernelsMediaVision, PatchMaskAndPositionTable) {
  std::vector<int64_t> pos{0, 0, 1, 2, -1, -1};
  std::vector<float> mask(3);
  kernel_patch_mask(pos.data(), 3, mask.data());
  EXPECT_EQ(mask, (std::vector<float>{1, 1, 0}));
  // table [2, 3, 1]: x rows (1, 2, 3), y rows (10, 20, 30)
  std::vector<float> table{1, 2, 3, 10, 20, 30}, y(3);
  ASSERT_TRUE(kernel_position_embedding_2d(table.data(), 3, 1, pos.data(), 3, y.data()).ok());
  EXPECT_EQ(y, (std::vector<float>{11, 32, 0}));
  std::vector<int64_t> bad{3, 0};
  EXPECT_FALSE(kernel_position_embedding_2d(table.data(), 3, 1, bad.data(), 1, y.data()).ok());
}

TEST(KernelsMediaVision, Rope2dRotatesHalvesByXThenY) {
  // head_dim 4: channels (0,1) rotate with x at inv_freq 1, channels (2,3) with y.
  std::vector<float> x{1, 0, 1, 0};
  std::vector<int64_t> pos{2, 5};
  kernel_rope_2d(x.data(), 1, 1, 4, pos.data(), 100.0);
  EXPECT_NEAR(x[0], std::cos(2.0f), 1e-6);
  EXPECT_NEAR(x[1], std::sin(2.0f), 1e-6);
  EXPECT_NEAR(x[2], std::cos(5.0f), 1e-6);
  EXPECT_NEAR(x[3], std::sin(5.0f), 1e-6);
}

TEST(KernelsMediaVision, MaskedAttentionSkipsPaddingKeys) {
  Node node;
  node.op = OpType::kMaskedAttention;
  node.attributes = {{"num_heads", int64_t{1}}, {"num_kv_heads", int64_t{1}}, {"head_dim", int64_t{1}}};
  std::vector<float> q{1, 1, 1}, k{0, 0, 0}, v{2, 4, 1000}, mask{1, 1, 0}, out(3);
  std::vector<MediaTensor> in{{q.data(), nullptr, {3, 1, 1}}, {k.data(), nullptr, {3, 1, 1}},
                              {v.data(), nullptr, {3, 1, 1}}, {mask.data(), nullptr, {3}}};
  ASSERT_TRUE(execute_media_op(node, in, {3, 1, 1}, out.data()).ok());
  for (float o : out) EXPECT_FLOAT_EQ(o, 3.0f);  // bidirectional: every query averages keys 0 and 1
}

TEST(KernelsMediaVision, PositionPoolAveragesKByKBlocks) {
  // 4 x 2 grid of patches, k = 2 -> 2 tokens; patch value = its x + 10 y.
  std::vector<int64_t> pos;
  std::vector<float> x;
  for (int64_t py = 0; py < 2; ++py) {
    for (int64_t px = 0; px < 4; ++px) {
      pos.insert(pos.end(), {px, py});
      x.push_back(static_cast<float>(px + 10 * py));
    }
  }
  std::vector<float> y(2);
  ASSERT_TRUE(kernel_position_pool(x.data(), 8, 1, pos.data(), 2, 2, y.data()).ok());
  EXPECT_FLOAT_EQ(y[0], (0 + 1 + 10 + 11) / 4.0f);
  EXPECT_FLOAT_EQ(y[1], (2 + 3 + 12 + 13) / 4.0f);
  EXPECT_FALSE(kernel_position_pool(x.data(), 8, 1, pos.data(), 2, 1, y.data()).ok());
}

TEST(KernelsMediaVision, StandardizeAndClip) {
  Node node;
  node.op = OpType::kStandardize;
  std::vector<float> x{3, 5}, bias{1, 1}, scale{2, 0.5f}, y(2);
  std::vector<MediaTensor> in{{x.data(), nullptr, {1, 2}}, {bias.data(), nullptr, {2}}, {scale.data(), nullptr, {2}}};
  ASSERT_TRUE(execute_media_op(node, in, {1, 2}, y.data()).ok());
  EXPECT_EQ(y, (std::vector<float>{4, 2}));
  node.op = OpType::kClip;
  float lo = -1.0f;
  std::vector<MediaTensor> clip_in{{x.data(), nullptr, {1, 2}}, {&lo, nullptr, {}}, {}};
  ASSERT_TRUE(execute_media_op(node, clip_in, {1, 2}, y.data()).ok());
  EXPECT_EQ(y, x);  // absent max = +inf
}

TEST(KernelsMediaVision, ScatterWritesValidSoftRowsInOrder) {
  std::vector<float> embeds{0, 0, 0, 0, 0, 0, 0, 0}, soft{10, 10, 20, 20, 30, 30}, mask{1, 0, 1}, y(8);
  std::vector<int64_t> ids{5, 9, 7, 9};
  ASSERT_TRUE(kernel_scatter_tokens(embeds.data(), ids.data(), 4, 2, soft.data(), mask.data(), 3, 9, y.data()).ok());
  EXPECT_EQ(y, (std::vector<float>{0, 0, 10, 10, 0, 0, 30, 30}));
  std::vector<int64_t> none{1, 2, 3, 4};
  EXPECT_TRUE(kernel_scatter_tokens(embeds.data(), none.data(), 4, 2, soft.data(), mask.data(), 3, 9, y.data()).ok());
  EXPECT_FALSE(kernel_scatter_tokens(embeds.data(), ids.data(), 4, 2, soft.data(), nullptr, 3, 9, y.data()).ok());
}

TEST(KernelsMediaVision, ShapeInferenceOfNewOps) {
  Graph g;
  ASSERT_TRUE(g.add_input("x", DTypeId::kF32, {9, 6, 1}).ok());
  ASSERT_TRUE(g.add_input("pos", DTypeId::kI64, {8, 2}).ok());
  ASSERT_TRUE(g.add_input("p", DTypeId::kF32, {8, 5}).ok());
  TensorInfo w;
  w.name = "w";
  w.dtype = DTypeId::kF32;
  w.shape = Shape{4, 1, 3, 3};
  ASSERT_TRUE(g.add_initializer("w", w).ok());
  ASSERT_TRUE(g.add_node(OpType::kConv2d, "c", {"x", "w"}, {{"stride", int64_t{2}}, {"padding", int64_t{1}}}, "c").ok());
  EXPECT_EQ(g.find_value("c")->dims, (std::vector<int64_t>{5, 3, 4}));
  ASSERT_TRUE(g.add_node(OpType::kStrideRows, "s", {"c"}, {{"stride", int64_t{2}}}, "s").ok());
  EXPECT_EQ(g.find_value("s")->dims, (std::vector<int64_t>{3, 3, 4}));
  ASSERT_TRUE(g.add_node(OpType::kPositionPool, "pp", {"p", "pos"}, {{"kernel", int64_t{2}}, {"length", int64_t{2}}},
                         "pp").ok());
  EXPECT_EQ(g.find_value("pp")->dims, (std::vector<int64_t>{2, 5}));
  Status bad = g.add_node(OpType::kPositionPool, "bad", {"p", "pos"}, {{"kernel", int64_t{2}}, {"length", int64_t{3}}},
                          "bad");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("bad"), std::string::npos);
  EXPECT_FALSE(g.add_node(OpType::kConv2d, "c2", {"p", "w"}, {}, "c2").ok());  // rank 2 input
  EXPECT_EQ(op_type_from_name("scatter_tokens"), OpType::kScatterTokens);
  EXPECT_EQ(op_type_name(OpType::kLocalAttention), "local_attention");
}

}  // namespace
}  // namespace hfb
