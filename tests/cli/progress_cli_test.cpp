// Progress lines of `run` and `verify` (issue 17, item 6): drawn on a terminal (here a pseudo-terminal made by
// script(1)), silenced by --quiet, absent when stderr is not a terminal; stdout never holds them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/cli/cli_capture.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using testing::run_cli_capture;
using testing::ScratchDir;

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

/// Runs `hfbundle ARGS` with stderr on a pseudo-terminal; returns what the terminal showed, stdout goes to `out`.
std::string on_terminal(const ScratchDir& scratch, const std::string& args, const std::string& out) {
  const std::string typescript = scratch / "typescript";
  const std::string command = "script -qec \"" + std::string(HFB_CLI_PATH) + " " + args + " > " + out + "\" " +
                              typescript + " > /dev/null 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return testing::slurp(typescript);
}

TEST(ProgressCli, RunAndVerifyDrawAProgressLineOnATerminalOnly) {
  if (std::system("command -v script > /dev/null 2>&1") != 0) GTEST_SKIP() << "script(1) not installed";
  ScratchDir scratch;
  const std::string run = "run " + kSample + " --prompt-ids 2,17,5 -n 8";
  const std::string shown = on_terminal(scratch, run, scratch / "out");
  EXPECT_NE(shown.find("[run] 1/8 tokens"), std::string::npos) << shown;
  EXPECT_NE(shown.find("tokens/s"), std::string::npos) << shown;
  EXPECT_EQ(testing::slurp(scratch / "out").find("tokens/s"), std::string::npos);
  EXPECT_EQ(on_terminal(scratch, run + " --quiet", scratch / "out").find("[run]"), std::string::npos);

  const std::string verify = "verify " + kSample + " --golden " + kSample;
  const std::string verify_shown = on_terminal(scratch, verify, scratch / "report");
  EXPECT_NE(verify_shown.find("[verify] case 1/"), std::string::npos) << verify_shown;
  EXPECT_EQ(on_terminal(scratch, verify + " --quiet", scratch / "report").find("[verify]"), std::string::npos);
  // --against: the reference's recording pass and ours both draw it.
  const std::string against = "verify " + kSample + " --against " + kSample + " --random-prompts 2 --steps 3";
  const std::string against_shown = on_terminal(scratch, against, scratch / "report");
  EXPECT_NE(against_shown.find("[verify] case 2/2, step 3/3"), std::string::npos) << against_shown;
  EXPECT_EQ(on_terminal(scratch, against + " --quiet", scratch / "report").find("[verify]"), std::string::npos);
}

TEST(ProgressCli, NothingWhenStderrIsNotATerminal) {
  auto run = run_cli_capture("run " + kSample + " --prompt-ids 2,17,5 -n 8");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // Only run's timings line (docs/runtime.md), no progress line.
  EXPECT_EQ(run.err.rfind("timings: ", 0), 0u) << run.err;
  EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << run.err;
  EXPECT_EQ(run.err.find("[run]"), std::string::npos) << run.err;
  auto verify = run_cli_capture("verify " + kSample + " --golden " + kSample);
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_TRUE(verify.err.empty()) << verify.err;
}

}  // namespace
}  // namespace hfb
