// Grid fixtures quantized in memory with the matching scheme are lossless: verify --margin 0 passes (every
// token, logits within 2e-3) and every quantized tensor decodes with zero error (SSE 0).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pipeline/quantized_session.h"
#include "quant/coverage.h"
#include "quant/policy.h"

namespace hfb {
namespace {

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

struct GridRun {
  ParityReport report;
  CoverageReport coverage;
};

GridRun verify_grid(const std::string& fixture, QuantPolicyOptions options, std::vector<std::string> cases = {}) {
  auto policy = QuantPolicy::create(std::move(options));
  EXPECT_TRUE(policy.ok()) << policy.error().to_string();
  VerifyOptions verify;
  verify.margin_threshold = 0.0;
  verify.logit_tolerance = 2e-3;
  verify.cases = std::move(cases);
  GridRun run;
  auto report = verify_quantized_model(kFixtures + fixture, kFixtures + fixture, *policy, verify, &run.coverage);
  EXPECT_TRUE(report.ok()) << report.error().to_string();
  if (report.ok()) run.report = std::move(*report);
  return run;
}

// Lossless: every token, every case passes, and every quantized tensor reproduces its weights exactly.
void expect_lossless(const GridRun& run, Scheme main_scheme) {
  EXPECT_TRUE(run.report.pass);
  EXPECT_GT(run.report.tokens_total, 0);
  EXPECT_EQ(run.report.tokens_matched, run.report.tokens_total);
  for (const CaseReport& c : run.report.cases) {
    EXPECT_EQ(c.status, CaseStatus::kPass) << c.name << ": " << c.reason;
    EXPECT_LE(c.max_abs_logit_diff, 2e-3) << c.name;
  }
  int main_count = 0;
  for (const CoverageEntry& e : run.coverage.entries) {
    if (e.scheme == main_scheme) ++main_count;
    if (!e.metrics) continue;
    EXPECT_EQ(e.metrics->sse, 0.0) << e.name << " (" << scheme_name(e.scheme) << ", " << e.reason << ")";
  }
  EXPECT_GT(main_count, 0) << "no tensor got " << scheme_name(main_scheme);
  EXPECT_GT(run.coverage.total.quantized, 0);
  EXPECT_LT(run.coverage.total.bytes_after, run.coverage.total.bytes_before);
}

QuantPolicyOptions with(Scheme scheme) {
  QuantPolicyOptions options;
  options.global = scheme;
  return options;
}

TEST(GridQuant, Q4_0IsLossless) { expect_lossless(verify_grid("grid-q4_0", with(Scheme::kQ4_0)), Scheme::kQ4_0); }

TEST(GridQuant, Int8IsLossless) { expect_lossless(verify_grid("grid-int8", with(Scheme::kInt8)), Scheme::kInt8); }

TEST(GridQuant, Q8_0OnTheInt8GridIsLossless) {
  expect_lossless(verify_grid("grid-int8", with(Scheme::kQ8_0)), Scheme::kQ8_0);
}

TEST(GridQuant, Int4IsLossless) { expect_lossless(verify_grid("grid-int4", with(Scheme::kInt4)), Scheme::kInt4); }

TEST(GridQuant, Kmeans4PerTensorIsLossless) {
  QuantPolicyOptions options = with(Scheme::kKmeans4);
  options.params.per_tensor = true;
  expect_lossless(verify_grid("grid-kmeans", options), Scheme::kKmeans4);
}

TEST(GridQuant, Kmeans8IsLossless) {
  expect_lossless(verify_grid("grid-kmeans", with(Scheme::kKmeans8)), Scheme::kKmeans8);
}

// The text session cannot run the mm_audio / mm_image cases (they would be "skipped", failing the
// verdict), so this fixture's text cases are verified; every tower tensor is still quantized in memory.
TEST(GridQuant, Int8MultimodalTextCasesAreLossless) {
  expect_lossless(verify_grid("grid-int8-mm", with(Scheme::kInt8), {"case0", "case1"}), Scheme::kInt8);
}

TEST(GridQuant, Int8MultimodalWithMinElementsZeroIsLossless) {
  QuantPolicyOptions options = with(Scheme::kInt8);
  options.min_elements = 0;
  GridRun run = verify_grid("grid-int8-mm", options, {"case0", "case1"});
  expect_lossless(run, Scheme::kInt8);
  int tower_linears = 0;
  for (const CoverageEntry& e : run.coverage.entries) {
    if (e.tower != Tower::kText && e.metrics) ++tower_linears;
  }
  EXPECT_GT(tower_linears, 0);
}

}  // namespace
}  // namespace hfb
