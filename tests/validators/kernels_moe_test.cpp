// MoE kernels (routing, experts) against a naive restatement of HF's Gemma4TextRouter / Gemma4TextExperts,
// token_blocks and the bidirectional mask rule.
#include "validators/kernels_moe.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "validators/kernels.h"

namespace hfb {
namespace {

TEST(KernelsMoe, RouteIsSoftmaxTopKRenormalisedTimesPerExpertScale) {
  const std::vector<float> logits = {0.1f, 2.0f, -1.0f, 1.5f};  // one row, 4 experts
  const std::vector<float> scale = {1.0f, 0.5f, 3.0f, 2.0f};
  std::vector<float> routing(4);
  kernel_moe_route(logits.data(), 1, 4, scale.data(), 2, routing.data());
  EXPECT_EQ(routing[0], 1.0f);  // highest probability first
  EXPECT_EQ(routing[1], 3.0f);
  const double p1 = std::exp(2.0), p3 = std::exp(1.5);
  EXPECT_NEAR(routing[2], p1 / (p1 + p3) * 0.5, 1e-6);
  EXPECT_NEAR(routing[3], p3 / (p1 + p3) * 2.0, 1e-6);
}

TEST(KernelsMoe, RouteBreaksTiesTowardsTheLowerExpert) {
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, 0.0f};
  const std::vector<float> scale(4, 1.0f);
  std::vector<float> routing(2);
  kernel_moe_route(logits.data(), 1, 4, scale.data(), 1, routing.data());
  EXPECT_EQ(routing[0], 1.0f);
  EXPECT_FLOAT_EQ(routing[1], 1.0f);
}

TEST(KernelsMoe, ExpertsMatchANaivePerTokenSum) {
  const int64_t rows = 5, hidden = 6, inter = 3, experts = 4, top_k = 2;
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0.0f, 0.5f);
  std::vector<float> x(rows * hidden), gate_up(experts * 2 * inter * hidden), down(experts * hidden * inter);
  for (float& v : x) v = n(rng);
  for (float& v : gate_up) v = n(rng);
  for (float& v : down) v = n(rng);
  // Routing: row r uses experts r % 4 and (r + 2) % 4 with weights 0.7 / 0.3.
  std::vector<float> routing(rows * 2 * top_k);
  for (int64_t r = 0; r < rows; ++r) {
    routing[r * 4 + 0] = static_cast<float>(r % 4);
    routing[r * 4 + 1] = static_cast<float>((r + 2) % 4);
    routing[r * 4 + 2] = 0.7f;
    routing[r * 4 + 3] = 0.3f;
  }
  MoeExpertsParams p{rows, hidden, inter, experts, top_k, false};
  std::vector<float> out(rows * hidden), scratch;
  kernel_moe_experts(x.data(), routing.data(), MoeBank{gate_up.data(), nullptr}, MoeBank{down.data(), nullptr}, p,
                     out.data(), scratch);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t d = 0; d < hidden; ++d) {
      double want = 0.0;
      for (int64_t j = 0; j < top_k; ++j) {
        const auto e = static_cast<int64_t>(routing[r * 4 + j]);
        for (int64_t i = 0; i < inter; ++i) {
          double g = 0.0, u = 0.0;
          for (int64_t h = 0; h < hidden; ++h) {
            g += gate_up[(e * 2 * inter + i) * hidden + h] * x[r * hidden + h];
            u += gate_up[(e * 2 * inter + inter + i) * hidden + h] * x[r * hidden + h];
          }
          want += routing[r * 4 + 2 + j] * down[(e * hidden + d) * inter + i] * gelu_tanh(float(g)) * u;
        }
      }
      EXPECT_NEAR(out[r * hidden + d], want, 1e-4) << r << "," << d;
    }
  }
}

TEST(KernelsMoe, EncodedBanksGiveTheDecodedResult) {
  const int64_t rows = 3, hidden = 32, inter = 32, experts = 3, top_k = 2;
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0.0f, 0.5f);
  std::vector<float> x(rows * hidden), gate_up(experts * 2 * inter * hidden), down(experts * hidden * inter);
  for (float& v : x) v = n(rng);
  for (float& v : gate_up) v = n(rng);
  for (float& v : down) v = n(rng);
  QuantParams params;
  params.compute_metrics = false;
  auto gu = quantize(Scheme::kQ4_0, SourceMatrix{gate_up.data(), DTypeId::kF32, experts * 2 * inter, hidden, "gu"},
                     params);
  auto dn = quantize(Scheme::kQ4_0, SourceMatrix{down.data(), DTypeId::kF32, experts * hidden, inter, "dn"}, params);
  ASSERT_TRUE(gu.ok() && dn.ok());
  std::vector<float> gu_f(gate_up.size()), dn_f(down.size());
  dequantize_rows(*gu, 0, gu->rows, gu_f.data());
  dequantize_rows(*dn, 0, dn->rows, dn_f.data());
  const std::vector<float> routing = {2, 0, 0.6f, 0.4f, 1, 2, 0.5f, 0.5f, 0, 1, 0.9f, 0.1f};
  MoeExpertsParams p{rows, hidden, inter, experts, top_k, true};
  std::vector<float> encoded(rows * hidden), decoded(rows * hidden), scratch;
  kernel_moe_experts(x.data(), routing.data(), MoeBank{nullptr, &*gu}, MoeBank{nullptr, &*dn}, p, encoded.data(),
                     scratch);
  kernel_moe_experts(x.data(), routing.data(), MoeBank{gu_f.data(), nullptr}, MoeBank{dn_f.data(), nullptr}, p,
                     decoded.data(), scratch);
  for (size_t i = 0; i < encoded.size(); ++i) EXPECT_NEAR(encoded[i], decoded[i], 1e-3) << i;
}

TEST(KernelsMoe, TokenBlocksNumberEachRunOfPlaceholders) {
  const std::vector<int64_t> ids = {2, 9, 7, 7, 8, 5, 7, 8, 7};
  std::vector<float> blocks(ids.size());
  kernel_token_blocks(ids.data(), static_cast<int64_t>(ids.size()), {7, 8}, blocks.data());
  EXPECT_EQ(blocks, (std::vector<float>{-1, -1, 0, 0, 0, -1, 1, 1, 1}));
}

TEST(KernelsMoe, BlockRuleSeesLaterKeysOfTheSameImageInsideTheWindowOnly) {
  // window 3: query 5 sees keys 3..5 causally; key 6 and 7 of its block only if inside the window rule
  // k > q - W (always true for later keys), and never keys of another block or text.
  EXPECT_TRUE(attention_allowed_blocks(5, 6, true, 3, 1.0f, 1.0f));
  EXPECT_FALSE(attention_allowed_blocks(5, 6, true, 3, 1.0f, 2.0f));
  EXPECT_FALSE(attention_allowed_blocks(5, 6, true, 3, -1.0f, -1.0f));
  EXPECT_FALSE(attention_allowed_blocks(5, 2, true, 3, 1.0f, 1.0f));  // same block, outside the window
  EXPECT_TRUE(attention_allowed_blocks(5, 3, true, 3, 1.0f, -1.0f));  // causal inside the window
}

}  // namespace
}  // namespace hfb
