// Chunk planner: real E2B/E4B layouts give CoreML-LLM's boundaries, byte balancing on uneven
// layers, boundary values, and --chunks parsing/validation errors.
#include "passes/chunk_plan.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/passes/gemma4_layouts.h"
#include "tests/passes/synthetic_models.h"

namespace hfb {
namespace {

using testing::gemma4_e2b_config;
using testing::gemma4_e4b_config;

std::vector<LayerRange> ranges_of(const ModelConfig& config, const ChunkRequest& request) {
  auto plan = plan_chunks(config, TensorTable{}, request);
  EXPECT_TRUE(plan.ok()) << plan.error().to_string();
  return plan.ok() ? plan->decoder_ranges() : std::vector<LayerRange>{};
}

std::vector<std::string> names(const std::vector<BoundaryValue>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) out.push_back(v.name());
  return out;
}

TEST(ChunkPlanTest, E2BWithFourChunksMatchesCoreMlLlm) {
  const std::vector<LayerRange> expected{{0, 8}, {8, 15}, {15, 25}, {25, 35}};
  EXPECT_EQ(ranges_of(gemma4_e2b_config(), ChunkRequest::with_count(4)), expected);
  EXPECT_EQ(ranges_of(gemma4_e2b_config(), ChunkRequest::automatic()), expected);
}

TEST(ChunkPlanTest, E4BWithFourChunksMatchesCoreMlLlm) {
  const std::vector<LayerRange> expected{{0, 12}, {12, 24}, {24, 33}, {33, 42}};
  EXPECT_EQ(ranges_of(gemma4_e4b_config(), ChunkRequest::with_count(4)), expected);
}

TEST(ChunkPlanTest, KvBoundaryIsAfterLastLayerWithOwnKv) {
  auto plan = plan_chunks(gemma4_e2b_config(), TensorTable{}, ChunkRequest::with_count(4));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->kv_boundary, 15);
  auto e4b = plan_chunks(gemma4_e4b_config(), TensorTable{}, ChunkRequest::with_count(6));
  ASSERT_TRUE(e4b.ok());
  EXPECT_EQ(e4b->kv_boundary, 24);
  // Every count keeps a boundary at the end of the non-shared region.
  for (int n = 2; n <= 10; ++n) {
    auto ranges = ranges_of(gemma4_e4b_config(), ChunkRequest::with_count(n));
    ASSERT_EQ(static_cast<int>(ranges.size()), n);
    bool has_boundary = false;
    for (const auto& r : ranges) has_boundary |= r.end == 24;
    EXPECT_TRUE(has_boundary) << "N=" << n;
  }
}

TEST(ChunkPlanTest, ByteApportionGivesE2BsSharedRegionThreeChunks) {
  // The double-wide MLP makes E2B's shared region ~70% of the decoder bytes, so a byte quota
  // gives it 3 of 4 chunks: documented in docs/passes.md as why layer counts apportion.
  ChunkRequest request = ChunkRequest::with_count(4);
  request.apportion = ChunkApportion::kBytes;
  auto ranges = ranges_of(gemma4_e2b_config(), request);
  ASSERT_EQ(ranges.size(), 4u);
  EXPECT_EQ(ranges[0], (LayerRange{0, 15}));
  EXPECT_EQ(ranges[1].begin, 15);
}

TEST(ChunkPlanTest, BoundaryValuesHandSharedKvAcross) {
  auto plan = plan_chunks(gemma4_e2b_config(), TensorTable{}, ChunkRequest::with_count(4));
  ASSERT_TRUE(plan.ok());
  const Chunk* c0 = plan->find("decoder.0");
  const Chunk* c1 = plan->find("decoder.1");
  const Chunk* c2 = plan->find("decoder.2");
  const Chunk* c3 = plan->find("decoder.3");
  ASSERT_TRUE(c0 && c1 && c2 && c3);
  EXPECT_EQ(names(c0->inputs), (std::vector<std::string>{"hidden_state", "positions", "ple[0:8]"}));
  EXPECT_EQ(names(c0->outputs), (std::vector<std::string>{"hidden_state"}));
  EXPECT_EQ(names(c1->outputs), (std::vector<std::string>{"hidden_state", "kv.13", "kv.14"}));
  EXPECT_EQ(names(c2->inputs), (std::vector<std::string>{"hidden_state", "positions",
                                                         "ple[15:25]", "kv.13", "kv.14"}));
  EXPECT_EQ(c3->shared_kv_layers(), (std::vector<int>{13, 14}));
  EXPECT_GT(c2->bytes, c0->bytes);  // double-wide MLP layers
  const Chunk* embeddings = plan->find("embeddings");
  ASSERT_NE(embeddings, nullptr);
  EXPECT_EQ(names(embeddings->outputs), (std::vector<std::string>{"hidden_state", "ple[0:35]"}));
  ASSERT_NE(plan->find("head"), nullptr);
  EXPECT_EQ(names(plan->find("head")->outputs), (std::vector<std::string>{"logits"}));
}

TEST(ChunkPlanTest, LayerWeightBytesFollowsSpec) {
  const ModelConfig e2b = gemma4_e2b_config();
  // Layer 0: sliding, own K/V. q,o: 8*256*1536 each; k,v: 256*1536 each; MLP 3*1536*6144.
  const uint64_t expected0 = 2ull * 2048 * 1536 + 256 + 2ull * 256 * 1536 + 256 +
                             3ull * 1536 * 6144 + 4 * 1536 + 1 + 2ull * 1536 * 256 + 1536;
  EXPECT_EQ(layer_weight_bytes(e2b.text.layers[0], 1536, 256, 1), expected0);
  EXPECT_EQ(layer_weight_bytes(e2b.text.layers[0], 1536, 256, 2), 2 * expected0);
  // A shared full layer has no K/V and a double-wide MLP.
  const uint64_t expected19 = 2ull * 4096 * 1536 + 512 + 3ull * 1536 * 12288 + 4 * 1536 + 1 +
                              2ull * 1536 * 256 + 1536;
  EXPECT_EQ(layer_weight_bytes(e2b.text.layers[19], 1536, 256, 1), expected19);
}

TEST(ChunkPlanTest, BalancingUsesBytesNotLayerCounts) {
  // One heavy layer: a layer-count split would be 4+4 layers; bytes put the heavy one alone.
  const std::vector<uint64_t> bytes{80, 10, 10, 10, 10, 10, 10, 10};
  auto ranges = plan_decoder_ranges(bytes, 8, ChunkRequest::with_count(2));
  ASSERT_TRUE(ranges.ok());
  EXPECT_EQ(*ranges, (std::vector<LayerRange>{{0, 1}, {1, 8}}));
  // Heavy tail, three chunks: minimise the largest chunk (40), then even out the rest.
  const std::vector<uint64_t> tail{5, 5, 5, 5, 5, 5, 5, 5, 40};
  auto three = plan_decoder_ranges(tail, 9, ChunkRequest::with_count(3));
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(*three, (std::vector<LayerRange>{{0, 4}, {4, 8}, {8, 9}}));
  // Equal layers: ties give earlier chunks the extra layer.
  auto even = plan_decoder_ranges(std::vector<uint64_t>(10, 7), 10, ChunkRequest::with_count(3));
  ASSERT_TRUE(even.ok());
  EXPECT_EQ(*even, (std::vector<LayerRange>{{0, 4}, {4, 7}, {7, 10}}));
}

/// A 26B-A4B-like layout (issue #18): no PLE, no KV sharing, a dense MLP beside 128 experts of 704 on every layer.
ModelConfig moe_config(int layers) {
  ModelConfig c = testing::make_gemma4_layout({layers, 2816, 0, 6, 16, 8, 2112, false, 0});
  c.text.enable_moe_block = true;
  c.text.num_experts = 128;
  c.text.top_k_experts = 8;
  c.text.moe_intermediate_size = 704;
  return c;
}

TEST(ChunkPlanTest, ConfigBytesCountTheExpertBanks) {
  const ModelConfig moe = moe_config(6);
  // Router [128, 2816] + scale + per-expert scale, banks [128, 1408, 2816] and [128, 2816, 704], three norms.
  const uint64_t expected = 128ull * 2816 + 2816 + 128 + 128ull * 1408 * 2816 + 128ull * 2816 * 704 + 3 * 2816;
  EXPECT_EQ(moe_layer_weight_bytes(moe.text, 2), 2 * expected);
  EXPECT_EQ(moe_layer_weight_bytes(gemma4_e2b_config().text, 2), 0u);
  auto plan = plan_chunks(moe, TensorTable{}, ChunkRequest::with_count(2));
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  const Chunk* first = plan->find("decoder.0");
  ASSERT_NE(first, nullptr);
  uint64_t dense = 0;
  for (int l = first->layers.begin; l < first->layers.end; ++l) {
    dense += layer_weight_bytes(moe.text.layers[l], 2816, 0, 2);
  }
  EXPECT_EQ(first->bytes, dense + static_cast<uint64_t>(first->layers.size()) * 2 * expected);
}

TEST(ChunkPlanTest, ExpertBanksCountInTheChunkByteBudget) {
  // Four MoE layers whose dense tensors weigh the same; layer 0's expert banks are 3-D tensors far larger than
  // the rest. Counting them, two chunks put layer 0 alone; a planner that skipped 3-D banks would split 2 + 2.
  ModelConfig config = moe_config(4);
  config.text.num_experts = 64;
  TensorTable table;
  for (int l = 0; l < 4; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    table.add(testing::make_tensor(p + "mlp.gate_proj.weight", Role::kMlpGate, Tower::kText, l, Shape{2112, 2816}));
    table.add(testing::make_tensor(p + "router.proj.weight", Role::kMoeRouter, Tower::kText, l, Shape{64, 2816}));
    const int64_t experts = l == 0 ? 64 : 1;
    table.add(testing::make_tensor(p + "experts.gate_up_proj", Role::kMoeGateUp, Tower::kText, l,
                                   Shape{experts, 1408, 2816}));
    table.add(testing::make_tensor(p + "experts.down_proj", Role::kMoeDown, Tower::kText, l,
                                   Shape{experts, 2816, 704}));
  }
  auto plan = plan_chunks(config, table, ChunkRequest::with_count(2));
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  EXPECT_EQ(plan->decoder_ranges(), (std::vector<LayerRange>{{0, 1}, {1, 4}}));
  const Chunk* first = plan->find("decoder.0");
  ASSERT_NE(first, nullptr);
  const uint64_t bank0 = 2ull * (64ull * 1408 * 2816 + 64ull * 2816 * 704);
  EXPECT_EQ(first->bytes, 2ull * 2112 * 2816 + 2ull * 64 * 2816 + bank0);
  EXPECT_NE(std::find(first->tensors.begin(), first->tensors.end(), "model.layers.0.experts.gate_up_proj"),
            first->tensors.end());
}

TEST(ChunkPlanTest, ApportionKeepsAtLeastOneChunkPerRegion) {
  // 9 own-KV layers, 1 shared layer: the shared region still gets its own chunk.
  auto ranges = plan_decoder_ranges(std::vector<uint64_t>(10, 1), 9, ChunkRequest::with_count(2));
  ASSERT_TRUE(ranges.ok());
  EXPECT_EQ(*ranges, (std::vector<LayerRange>{{0, 9}, {9, 10}}));
}

TEST(ChunkRequestTest, ParsesAutoCountAndRanges) {
  auto a = ChunkRequest::parse("auto");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->mode, ChunkRequest::Mode::kAuto);
  auto n = ChunkRequest::parse(" 6 ");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->mode, ChunkRequest::Mode::kCount);
  EXPECT_EQ(n->count, 6);
  auto r = ChunkRequest::parse("0-7,8-14,15-24,25-34");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ranges, (std::vector<LayerRange>{{0, 8}, {8, 15}, {15, 25}, {25, 35}}));
  EXPECT_EQ(ranges_of(gemma4_e2b_config(), *r), r->ranges);
}

void expect_parse_error(const std::string& text, const std::string& fragment) {
  auto r = ChunkRequest::parse(text);
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find(fragment), std::string::npos)
      << text << " -> " << r.error().message;
}

TEST(ChunkRequestTest, RejectsMalformedText) {
  expect_parse_error("", "empty value");
  expect_parse_error("1", "below 2");
  expect_parse_error("four", "not auto");
  expect_parse_error("0-7,,8-34", "empty range at position 2");
  expect_parse_error("0-7,9-3", "range 2 '9-3': last layer 3 is before first layer 9");
  expect_parse_error("0-x,8-9", "range 1 '0-x'");
  expect_parse_error("0-34", "at least 2");
}

void expect_plan_error(const ChunkRequest& request, const std::string& fragment) {
  auto plan = plan_chunks(gemma4_e2b_config(), TensorTable{}, request);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(plan.error().message.find(fragment), std::string::npos) << plan.error().message;
}

TEST(ChunkRequestTest, ValidatesRangesAgainstTheModel) {
  auto parse = [](const char* text) { return ChunkRequest::parse(text).value(); };
  expect_plan_error(parse("0-7,9-34"), "range 2 (9-34) starts at layer 9, expected 8 (layers in");
  expect_plan_error(parse("0-7,7-34"), "overlaps the previous range");
  expect_plan_error(parse("1-7,8-34"), "range 1 (1-7) starts at layer 1, expected 0");
  expect_plan_error(parse("0-7,8-30"), "ranges end at layer 30 but the decoder has layers 0-34");
  expect_plan_error(parse("0-7,8-40"), "ends past the last decoder layer 34");
  expect_plan_error(ChunkRequest::with_count(36), "36 chunks for 35 decoder layers");
}

}  // namespace
}  // namespace hfb
