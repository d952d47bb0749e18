// eval's metric math on hand-computed values: KL(ref || ours), nearest-rank p99, top-1 agreement, perplexities.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "validators/eval_metrics.h"

namespace hfb {
namespace {

Matrix rows(int64_t cols, std::vector<float> data) {
  Matrix m;
  m.cols = cols;
  m.rows = static_cast<int64_t>(data.size()) / cols;
  m.data = std::move(data);
  return m;
}

TEST(EvalMetrics, KnownDistributions) {
  // Position 0: ref (1/2, 1/2), ours (3/4, 1/4): KL = 1/2 ln(4/3); argmax 0 vs 0 (tie -> lower index).
  // Position 1: identical rows: KL 0; argmax 1 both. Next token after position 0 is ids[1] = 1.
  const float ln3 = static_cast<float>(std::log(3.0));
  Matrix ref = rows(2, {0.0f, 0.0f, 0.0f, 1.0f});
  Matrix ours = rows(2, {ln3, 0.0f, 0.0f, 1.0f});
  EvalAccumulator accumulator;
  ASSERT_TRUE(accumulator.add(ref, ours, {0, 1}).ok());
  const EvalReport r = accumulator.report();
  EXPECT_EQ(r.sequences, 1);
  EXPECT_EQ(r.positions, 2);
  EXPECT_EQ(r.predicted_tokens, 1);
  EXPECT_NEAR(r.kl_divergence_mean, 0.25 * std::log(4.0 / 3.0), 1e-7);
  EXPECT_NEAR(r.kl_divergence_max, 0.5 * std::log(4.0 / 3.0), 1e-7);
  EXPECT_NEAR(r.kl_divergence_p99, 0.5 * std::log(4.0 / 3.0), 1e-7);  // ceil(0.99 * 2) = 2nd smallest
  EXPECT_EQ(r.teacher_forced_top1_agreement, 1.0);
  EXPECT_NEAR(r.perplexity_reference, 2.0, 1e-6);        // p(1) = 1/2
  EXPECT_NEAR(r.perplexity_ours, 4.0, 1e-6);             // q(1) = 1/4
}

TEST(EvalMetrics, AgreementAndP99NearestRank) {
  // 100 positions, KL 0 except one; p99 = 99th smallest = 0, max = the one.
  EvalAccumulator accumulator;
  std::vector<float> ref_data, our_data;
  std::vector<int64_t> ids;
  for (int p = 0; p < 100; ++p) {
    ref_data.insert(ref_data.end(), {1.0f, 0.0f});
    our_data.insert(our_data.end(), p == 7 ? std::initializer_list<float>{0.0f, 1.0f} : std::initializer_list<float>{1.0f, 0.0f});
    ids.push_back(0);
  }
  ASSERT_TRUE(accumulator.add(rows(2, ref_data), rows(2, our_data), ids).ok());
  const EvalReport r = accumulator.report();
  EXPECT_EQ(r.kl_divergence_p99, 0.0);
  EXPECT_GT(r.kl_divergence_max, 0.4);
  EXPECT_NEAR(r.teacher_forced_top1_agreement, 0.99, 1e-12);
}

TEST(EvalMetrics, RefusesBadShapesAndNonFinite) {
  EvalAccumulator accumulator;
  EXPECT_EQ(accumulator.add(rows(2, {0, 0}), rows(2, {0, 0, 0, 0}), {0}).error().code, ErrorCode::kInvalidArgument);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto bad = accumulator.add(rows(2, {0, 0}), rows(2, {nan, 0}), {0});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kCheckFailed);
  EXPECT_NE(bad.error().message.find("position 0"), std::string::npos) << bad.error().message;
}

TEST(EvalMetrics, JsonHasTheIssueKeys) {
  const std::string json = eval_report_to_json(EvalReport{});
  for (const char* key : {"kl_divergence_mean", "kl_divergence_p99", "kl_divergence_max",
                          "teacher_forced_top1_agreement", "perplexity_reference", "perplexity_ours", "positions"}) {
    EXPECT_NE(json.find(std::string("\"") + key + "\""), std::string::npos) << key;
  }
}

}  // namespace
}  // namespace hfb
