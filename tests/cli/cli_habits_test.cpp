// CLI habits (issue 17, item 4): --version, help with defaults, -o required unless --dry-run, the container from
// the -o extension, results on stdout and everything else on stderr, one-line usage errors, bash completion.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/cli/cli_capture.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using testing::run_cli_capture;
using testing::ScratchDir;

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

TEST(CliHabits, VersionPrintsTheVersionOnStdout) {
  auto r = run_cli_capture("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "hfbundle 0.1.0\n");
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(CliHabits, ConvertHelpShowsDefaultsTheRequiredOutputAndTheRightQuantText) {
  auto r = run_cli_capture("convert --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--zstd INT:INT in [0 - 22]=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--chunks TEXT=auto"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("REQUIRED unless --dry-run"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("in memory"), std::string::npos) << "convert --quant help is run's text: " << r.out;
  auto run_help = run_cli_capture("run --help");
  EXPECT_NE(run_help.out.find("-n,--max-new-tokens INT:NONNEGATIVE=16"), std::string::npos) << run_help.out;
}

TEST(CliHabits, AZipExtensionWritesTheZipContainer) {
  ScratchDir scratch;
  const std::string out = scratch / "sample.hfb.zip";
  auto r = run_cli_capture("convert " + kSample + " -o " + out + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::is_regular_file(out));
  EXPECT_EQ(testing::slurp(out).substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_EQ(run_cli_capture("inspect " + out + " --check").exit_code, 0);
}

TEST(CliHabits, RunQuantPrintsOnlyTheGeneratedIdsOnStdout) {
  ScratchDir scratch;
  auto quantized = run_cli_capture("run " + kSample + " --prompt-ids 2,17,5 -n 4 --quant q8_0");
  ASSERT_EQ(quantized.exit_code, 0) << quantized.err;
  // stdout: one line of token ids; the coverage table went to stderr.
  EXPECT_EQ(testing::count_lines(quantized.out), 1u) << quantized.out;
  EXPECT_EQ(quantized.out.find_first_not_of("0123456789 \n"), std::string::npos) << quantized.out;
  EXPECT_NE(quantized.err.find("quantization coverage"), std::string::npos) << quantized.err;
}

TEST(CliHabits, UsageErrorsAreOneLineNamingTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "A subcommand is required"},
      {"convert", "source is required"},
      {"convert x --zstd 40", "--zstd"},
      {"run x --prompt-ids 2 --bogus", "--bogus"},
      {"completion fish", "fish"},
  };
  for (const auto& [args, part] : cases) {
    auto r = run_cli_capture(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(testing::count_lines(r.err), 1u) << args << ": " << r.err;
    EXPECT_NE(r.err.find(part), std::string::npos) << args << ": " << r.err;
    EXPECT_NE(r.err.find("--help"), std::string::npos) << r.err;
  }
}

TEST(CliHabits, BashCompletionIsValidBashAndCompletesOptions) {
  ScratchDir scratch;
  auto r = run_cli_capture("completion bash");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string script = scratch / "hfbundle.bash";
  std::ofstream(script) << r.out;
  const std::string probe = "bash -c 'source " + script +
                            "; COMP_WORDS=(hfbundle convert --dry); COMP_CWORD=2; _hfbundle; echo \"${COMPREPLY[@]}\""
                            " > " + (scratch / "reply") + "'";
  ASSERT_EQ(std::system(probe.c_str()), 0);
  EXPECT_EQ(testing::slurp(scratch / "reply"), "--dry-run\n");
}

}  // namespace
}  // namespace hfb
