// MoE kernels (routing, experts) against a naive restatement of HF's Gemma4TextRouter / Gemma4TextExperts,
// token_blocks and the bidirectional mask rule.
#include "runtime/kernels_moe.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "quant/scheme.h"
#include "runtime/kernels.h"

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
  auto gu = float_matrix_view(gate_up.data(), DTypeId::kF32, experts * 2 * inter, hidden);
  auto dn = float_matrix_view(down.data(), DTypeId::kF32, experts * hidden, inter);
  ASSERT_TRUE(gu.ok() && dn.ok());
  kernel_moe_experts(x.data(), routing.data(), *gu, *dn, p, out.data(), scratch);
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
  kernel_moe_experts(x.data(), routing.data(), matrix_view(*gu), matrix_view(*dn), p, encoded.data(), scratch);
  auto gu_view = float_matrix_view(gu_f.data(), DTypeId::kF32, experts * 2 * inter, hidden);
  auto dn_view = float_matrix_view(dn_f.data(), DTypeId::kF32, experts * hidden, inter);
  ASSERT_TRUE(gu_view.ok() && dn_view.ok());
  kernel_moe_experts(x.data(), routing.data(), *gu_view, *dn_view, p, decoded.data(), scratch);
  for (size_t i = 0; i < encoded.size(); ++i) EXPECT_NEAR(encoded[i], decoded[i], 1e-3) << i;
}

// Random x, banks and routing (every row: top_k distinct experts) for the stored-format tests below.
struct MoeCase {
  MoeExpertsParams p;
  std::vector<float> x, gate_up, down, routing;
};

MoeCase random_case(int64_t rows, int64_t hidden, int64_t inter, int64_t experts, int64_t top_k, unsigned seed) {
  MoeCase c;
  c.p = MoeExpertsParams{rows, hidden, inter, experts, top_k, true};
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 0.5f);
  c.x.resize(rows * hidden);
  c.gate_up.resize(experts * 2 * inter * hidden);
  c.down.resize(experts * hidden * inter);
  for (auto* v : {&c.x, &c.gate_up, &c.down}) {
    for (float& f : *v) f = n(rng);
  }
  c.routing.resize(rows * 2 * top_k);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < top_k; ++j) {
      c.routing[r * 2 * top_k + j] = static_cast<float>((r * 3 + j * 5) % experts);
      c.routing[r * 2 * top_k + top_k + j] = 0.25f + 0.5f * static_cast<float>(j) / top_k;
    }
  }
  return c;
}

TEST(KernelsMoe, EncodedBanksGiveIdenticalResultsForAnyThreadCount) {
  const MoeCase c = random_case(7, 64, 96, 5, 2, 11);
  QuantParams params;
  params.compute_metrics = false;
  for (Scheme scheme : {Scheme::kInt8, Scheme::kQ4_0, Scheme::kKmeans4}) {
    if (scheme == Scheme::kKmeans4) params.group_size = 2 * c.p.intermediate;  // one LUT per expert
    auto gu = quantize(scheme, SourceMatrix{c.gate_up.data(), DTypeId::kF32, 5 * 2 * 96, 64, "gu"}, params);
    auto dn = quantize(scheme, SourceMatrix{c.down.data(), DTypeId::kF32, 5 * 64, 96, "dn"}, params);
    ASSERT_TRUE(gu.ok() && dn.ok()) << scheme_name(scheme);
    std::vector<std::vector<float>> outs;
    for (int threads : {1, 2, 3}) {
      ThreadPool::set_global_threads(threads);
      std::vector<float> out(c.x.size()), scratch;
      kernel_moe_experts(c.x.data(), c.routing.data(), matrix_view(*gu), matrix_view(*dn), c.p, out.data(), scratch);
      outs.push_back(out);
    }
    ThreadPool::set_global_threads(ThreadPool::available_cores());
    EXPECT_EQ(outs[0], outs[1]) << scheme_name(scheme);
    EXPECT_EQ(outs[0], outs[2]) << scheme_name(scheme);
  }
}

TEST(KernelsMoe, FloatBanksMappedAsExpertsByRestAreReviewedAsStackedRows) {
  const MoeCase c = random_case(4, 16, 8, 3, 2, 5);
  // A mapped checkpoint views [E, R, C] as [E, R*C]; the bank view is the same bytes as [E*R, C].
  auto mapped = float_matrix_view(c.gate_up.data(), DTypeId::kF32, 3, 2 * 8 * 16);
  ASSERT_TRUE(mapped.ok());
  auto bank = expert_bank_view(*mapped, 3, 2 * 8, 16);
  ASSERT_TRUE(bank.ok()) << bank.error().message;
  EXPECT_EQ(bank->rows, 3 * 2 * 8);
  EXPECT_EQ(bank->cols, 16);
  EXPECT_EQ(bank->row_stride, 16 * 4);
  EXPECT_EQ(bank->codes, mapped->codes);
  EXPECT_FALSE(expert_bank_view(*mapped, 3, 5, 16).ok());  // wrong rows per expert
  auto stacked = float_matrix_view(c.down.data(), DTypeId::kF32, 3 * 16, 8);
  ASSERT_TRUE(stacked.ok());
  std::vector<float> via_mapped(c.x.size()), direct(c.x.size()), scratch;
  auto direct_gu = float_matrix_view(c.gate_up.data(), DTypeId::kF32, 3 * 2 * 8, 16);
  ASSERT_TRUE(direct_gu.ok());
  kernel_moe_experts(c.x.data(), c.routing.data(), *bank, *stacked, c.p, via_mapped.data(), scratch);
  kernel_moe_experts(c.x.data(), c.routing.data(), *direct_gu, *stacked, c.p, direct.data(), scratch);
  EXPECT_EQ(via_mapped, direct);
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
