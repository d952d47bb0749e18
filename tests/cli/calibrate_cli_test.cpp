// `convert --calibrate / --calibrate-ids / --save-imatrix / --imatrix`: the flags reach the pipeline, saved
// statistics reload to the same bundle, another model's statistics and flag clashes are exit 2.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/cli/cli_capture.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using testing::run_cli_capture;
using testing::ScratchDir;
using testing::slurp;

const std::string kGemma = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

TEST(CalibrateCli, SaveThenReuseStatistics) {
  ScratchDir scratch;
  const std::string ckpt = kGemma + "text-trained";
  auto a = run_cli_capture("convert " + ckpt + " -o " + (scratch / "a.hfb") + " --quant kmeans4 --calibrate " + ckpt +
                           "/eval.txt --save-imatrix " + (scratch / "s.imatrix") + " --verbose");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.out.find("calibrated (imatrix)"), std::string::npos);
  EXPECT_EQ(slurp(scratch / "s.imatrix").substr(0, 7), "HFBIMTX");
  auto b = run_cli_capture("convert " + ckpt + " -o " + (scratch / "b.hfb") + " --quant kmeans4 --imatrix " +
                           (scratch / "s.imatrix") + " --quiet");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(slurp(scratch / "a.hfb/chunk_00.bin"), slurp(scratch / "b.hfb/chunk_00.bin"));
}

TEST(CalibrateCli, AnotherModelsStatisticsAndClashesAreUsageErrors) {
  ScratchDir scratch;
  const std::string ckpt = kGemma + "text-trained";
  auto save = run_cli_capture("convert " + ckpt + " --dry-run --quant int4 --calibrate-ids " + ckpt +
                              "/eval-ids.txt --save-imatrix " + (scratch / "s.imatrix"));
  ASSERT_EQ(save.exit_code, 0) << save.err;
  auto other = run_cli_capture("convert " + kGemma + "sample --dry-run --quant int4 --imatrix " + (scratch / "s.imatrix"));
  EXPECT_EQ(other.exit_code, 2) << other.err;
  EXPECT_NE(other.err.find("another model"), std::string::npos) << other.err;
  auto clash = run_cli_capture("convert " + ckpt + " --dry-run --quant int4 --calibrate " + ckpt + "/eval.txt --imatrix " +
                               (scratch / "s.imatrix"));
  EXPECT_EQ(clash.exit_code, 2) << clash.err;
  auto corrupt = run_cli_capture("convert " + ckpt + " --dry-run --quant int4 --imatrix " + ckpt + "/eval.txt");
  EXPECT_EQ(corrupt.exit_code, 2) << corrupt.err;
  EXPECT_NE(corrupt.err.find("not an imatrix file"), std::string::npos) << corrupt.err;
}


TEST(CalibrateCli, CalibrateCommandSavesWhatConvertCalibrateUses) {
  ScratchDir scratch;
  const std::string ckpt = kGemma + "text-trained";
  auto saved = run_cli_capture("calibrate " + ckpt + " --text " + ckpt + "/eval.txt -o " + (scratch / "s.imatrix") +
                               " --json");
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  EXPECT_NE(saved.out.find("\"sequences\": 32"), std::string::npos) << saved.out;
  EXPECT_NE(saved.out.find("\"tokens\": 4096"), std::string::npos) << saved.out;
  auto direct = run_cli_capture("convert " + ckpt + " -o " + (scratch / "a.hfb") + " --quant kmeans4 --calibrate " +
                                ckpt + "/eval.txt --quiet");
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  auto reused = run_cli_capture("convert " + ckpt + " -o " + (scratch / "b.hfb") + " --quant kmeans4 --imatrix " +
                                (scratch / "s.imatrix") + " --quiet");
  ASSERT_EQ(reused.exit_code, 0) << reused.err;
  EXPECT_EQ(slurp(scratch / "a.hfb/chunk_01.bin"), slurp(scratch / "b.hfb/chunk_01.bin"));
  // --ids-file: the same statistics format, from ids.
  auto ids = run_cli_capture("calibrate " + ckpt + " --ids-file " + ckpt + "/eval-ids.txt -o " + (scratch / "i.imatrix") +
                             " --quiet");
  ASSERT_EQ(ids.exit_code, 0) << ids.err;
  EXPECT_TRUE(ids.out.empty()) << ids.out;
  EXPECT_EQ(slurp(scratch / "i.imatrix").substr(0, 7), "HFBIMTX");
}

TEST(CalibrateCli, CalibrateCommandUsageErrors) {
  ScratchDir scratch;
  const std::string ckpt = kGemma + "text-trained";
  auto neither = run_cli_capture("calibrate " + ckpt + " -o " + (scratch / "s.imatrix"));
  EXPECT_EQ(neither.exit_code, 2) << neither.err;
  EXPECT_NE(neither.err.find("--text"), std::string::npos) << neither.err;
  auto both = run_cli_capture("calibrate " + ckpt + " --text " + ckpt + "/eval.txt --ids-file " + ckpt +
                              "/eval-ids.txt -o " + (scratch / "s.imatrix"));
  EXPECT_EQ(both.exit_code, 2) << both.err;
  auto no_out = run_cli_capture("calibrate " + ckpt + " --text " + ckpt + "/eval.txt");
  EXPECT_EQ(no_out.exit_code, 2) << no_out.err;
  auto missing = run_cli_capture("calibrate " + ckpt + " --text " + (scratch / "none.txt") + " -o " +
                                 (scratch / "s.imatrix"));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("none.txt"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::ifstream(scratch / "s.imatrix").good());
}

}  // namespace
}  // namespace hfb
