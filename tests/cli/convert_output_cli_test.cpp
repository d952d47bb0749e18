// Output volume of convert (issue 17, item 5): a short summary by default (the chunk plan once, schemes by role,
// where the per-tensor coverage is); --verbose and --dry-run print the per-tensor table.
#include <gtest/gtest.h>

#include <string>

#include "tests/cli/cli_capture.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using testing::count_lines;
using testing::run_cli_capture;
using testing::ScratchDir;

const std::string kGemma = std::string(HFB_FIXTURES_DIR) + "/gemma4/";
constexpr const char* kPerTensorLine = "model.layers.0.mlp.down_proj.weight";

size_t occurrences(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(ConvertOutputCli, DefaultIsAShortSummaryWithThePlanOnce) {
  for (const char* fixture : {"sample", "mm", "grid-int8-mm"}) {
    SCOPED_TRACE(fixture);
    ScratchDir scratch;
    auto r = run_cli_capture("convert " + kGemma + fixture + " -o " + (scratch / "out.hfb") + " --quant q4_0");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_LE(count_lines(r.out), 25u) << r.out;
    EXPECT_EQ(occurrences(r.out, "chunk plan:"), 1u) << r.out;
    EXPECT_NE(r.out.find("q4_0: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("per-tensor coverage: `hfbundle inspect"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(kPerTensorLine), std::string::npos) << r.out;
  }
}

TEST(ConvertOutputCli, VerboseAndDryRunPrintThePerTensorTable) {
  ScratchDir scratch;
  auto verbose = run_cli_capture("convert " + kGemma + "sample -o " + (scratch / "a.hfb") + " --quant q4_0 --verbose");
  ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
  EXPECT_NE(verbose.out.find(kPerTensorLine), std::string::npos);
  auto dry = run_cli_capture("convert " + kGemma + "sample --dry-run --quant q4_0");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find(kPerTensorLine), std::string::npos);
  EXPECT_NE(dry.out.find("dry run: nothing written"), std::string::npos);
}

TEST(ConvertOutputCli, CoverageFileIsNamedInTheSummary) {
  ScratchDir scratch;
  const std::string coverage = scratch / "coverage.json";
  auto r = run_cli_capture("convert " + kGemma + "sample -o " + (scratch / "a.hfb") + " --quant q8_0 --coverage " +
                           coverage);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("per-tensor coverage: " + coverage), std::string::npos) << r.out;
  EXPECT_NE(testing::slurp(coverage).find(kPerTensorLine), std::string::npos);
}

}  // namespace
}  // namespace hfb
