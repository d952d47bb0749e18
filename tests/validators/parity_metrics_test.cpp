// Parity metrics (top-2, max-abs, KL, cosine) on known values, and the shared greedy loop on a FakeSession.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/validators/parity_fake_session.h"
#include "validators/parity_greedy.h"
#include "validators/parity_metrics.h"

namespace hfb {
namespace {

TEST(ParityMetrics, TopTwoPrefersLowerIndexOnTies) {
  const float row[] = {1.0f, 3.0f, 3.0f, 2.0f};
  TopTwo t = top_two(row, 4);
  EXPECT_EQ(t.top1, 1);
  EXPECT_EQ(t.top2, 2);
  EXPECT_EQ(t.margin(), 0.0);
  const float descending[] = {5.0f, 4.0f, 1.0f};
  t = top_two(descending, 3);
  EXPECT_EQ(t.top1, 0);
  EXPECT_EQ(t.top2, 1);
  EXPECT_DOUBLE_EQ(t.margin(), 1.0);
}

TEST(ParityMetrics, KlOfKnownDistributions) {
  // p = (1/2, 1/2), q = (3/4, 1/4): KL = 1/2 ln(2/3) + 1/2 ln 2 = 1/2 ln(4/3).
  const float p[] = {0.0f, 0.0f};
  const float q[] = {static_cast<float>(std::log(3.0)), 0.0f};
  EXPECT_NEAR(kl_divergence_logits(p, q, 2), 0.5 * std::log(4.0 / 3.0), 1e-7);
  // Invariant to a shift of either logit vector, and stable for huge logits.
  const float p_shift[] = {1000.0f, 1000.0f};
  const float q_shift[] = {static_cast<float>(std::log(3.0)) - 500.0f, -500.0f};
  EXPECT_NEAR(kl_divergence_logits(p_shift, q_shift, 2), 0.5 * std::log(4.0 / 3.0), 1e-5);
  EXPECT_EQ(kl_divergence_logits(p, p, 2), 0.0);
  // KL(p || q) != KL(q || p): p = (3/4, 1/4) vs uniform gives 3/4 ln(3/2) + 1/4 ln(1/2).
  EXPECT_NEAR(kl_divergence_logits(q, p, 2), 0.75 * std::log(1.5) + 0.25 * std::log(0.5), 1e-7);
  const float bad[] = {std::numeric_limits<float>::quiet_NaN(), 0.0f};
  EXPECT_TRUE(std::isinf(kl_divergence_logits(p, bad, 2)));
}

TEST(ParityMetrics, MaxAbsAndCosine) {
  const float a[] = {1.0f, -2.0f, 3.0f};
  const float b[] = {1.5f, -2.0f, 2.0f};
  EXPECT_DOUBLE_EQ(max_abs_diff(a, b, 3), 1.0);
  const float nan_row[] = {1.0f, std::numeric_limits<float>::quiet_NaN(), 3.0f};
  EXPECT_TRUE(std::isinf(max_abs_diff(a, nan_row, 3)));
  const float x[] = {1.0f, 0.0f};
  const float y[] = {1.0f, 1.0f};
  EXPECT_NEAR(cosine_similarity(x, y, 2), 1.0 / std::sqrt(2.0), 1e-12);
  EXPECT_DOUBLE_EQ(cosine_similarity(a, a, 3), 1.0);
  const float zero[] = {0.0f, 0.0f};
  EXPECT_EQ(cosine_similarity(zero, zero, 2), 1.0);
  EXPECT_EQ(cosine_similarity(zero, x, 2), 0.0);
}

TEST(ParityGreedy, StopsAfterEosAndKeepsLogits) {
  testing::FakeSession session;
  GreedyOptions options;
  options.max_new_tokens = 10;
  options.keep_logits = true;
  auto full = run_greedy(session, {2, 3}, nullptr, nullptr, options);
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(full->generated.size(), 10u);
  EXPECT_EQ(full->step_logits.rows, 10);
  EXPECT_EQ(full->prefill_logits.rows, 2);
  // Step 0 is the last prefill position.
  EXPECT_EQ(std::vector<float>(full->step_logits.row(0), full->step_logits.row(0) + 8),
            std::vector<float>(full->prefill_logits.row(1), full->prefill_logits.row(1) + 8));
  for (const GreedyStep& s : full->steps) EXPECT_EQ(s.token, s.top.top1);

  options.eos_ids = {full->generated[3]};
  auto stopped = run_greedy(session, {2, 3}, nullptr, nullptr, options);
  ASSERT_TRUE(stopped.ok());
  size_t first_eos = 0;
  while (full->generated[first_eos] != full->generated[3]) ++first_eos;
  EXPECT_EQ(stopped->generated.size(), first_eos + 1);  // the eos itself is included
}

TEST(ParityGreedy, RejectsBadPrompts) {
  testing::FakeSession session;
  GreedyOptions options;
  EXPECT_EQ(run_greedy(session, {}, nullptr, nullptr, options).error().code, ErrorCode::kInvalidArgument);
  auto bad = run_greedy(session, {2, 8}, nullptr, nullptr, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("position 1"), std::string::npos);
  EXPECT_FALSE(run_greedy(session, {-1}, nullptr, nullptr, options).ok());
  options.max_new_tokens = 0;
  auto none = run_greedy(session, {2}, nullptr, nullptr, options);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->generated.empty());
}

}  // namespace
}  // namespace hfb
