// Every error path of the CLI tests prints exactly one line on stderr, naming the problem (issue 17, item 10; the
// README's promise). The catalogue gathers the failing invocations of tests/cli/*; add new ones here too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/cli/cli_capture.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using testing::run_cli_capture;
using testing::ScratchDir;

const std::string kFixtures = std::string(HFB_FIXTURES_DIR);
const std::string kSample = kFixtures + "/gemma4/sample";

TEST(CliErrors, EveryErrorPathPrintsExactlyOneLine) {
  ScratchDir scratch;
  const std::string bundle = scratch / "sample.hfb";
  ASSERT_EQ(run_cli_capture("convert " + kSample + " -o " + bundle + " --quiet").exit_code, 0);
  std::ofstream(scratch / "bad_prompts.txt") << "2,x\n";
  const std::string hostile = kFixtures + "/hostile/";
  const std::vector<std::string> failing = {
      // run
      "run " + kSample + " --prompt-ids 2,x", "run " + kSample + " --prompt-ids 2,-1",
      "run " + kSample + " --prompt-ids 2,512", "run " + kSample + " --prompt-ids 2,,5", "run " + kSample +
      " --prompt-ids 2.5", "run " + kSample + " --prompt-ids 2 -n -1", "run " + kSample + "/nope --prompt-ids 2",
      "run " + kSample, "run " + bundle + " --prompt-ids 2,17 --quant q4_0",
      "run " + kSample + " --prompt-ids 2 --quant q5_9",
      // verify
      "verify " + kSample + " --golden " + (scratch / "missing"), "verify " + kSample + " --golden " + kSample +
      " --cases case0,nope", "verify " + kSample + " --golden " + kSample + " --logit-tolerance fast",
      "verify " + kSample + " --golden " + kSample + " --margin -1", "verify " + kSample + " --golden " + kFixtures +
      "/gemma4/text-kveqv", "verify " + (scratch / "nomodel") + " --golden " + kSample, "verify " + kSample,
      "verify " + bundle + " --golden " + kSample + " --quant q4_0",
      "verify " + kSample + " --against " + kSample + " --prompt-ids-file " + (scratch / "bad_prompts.txt"),
      "verify " + kSample + " --against " + kSample + " --prompt-ids-file " + (scratch / "none.txt"),
      "verify " + kSample + " --against " + kSample + " --random-prompts 0",
      // convert
      "convert " + kSample + " -o " + bundle, "convert " + kSample, "convert " + kSample + " -o " +
      (scratch / "x.hfb") + " --quant q5_9", "convert " + kSample + " -o " + (scratch / "x.hfb") + " --zstd 40",
      "convert " + kSample + " -o " + (scratch / "x.hfb") + " --tensor-type '[=int8'",
      "convert " + kSample + " -o " + (scratch / "no/such/dir/x.hfb"),
      "convert " + kSample + " --dry-run --quant q4_0 --chunk-type decoder.9=int8",
      "convert " + kSample + " --dry-run --chunk-type decoder.0",
      "convert " + kSample + " --dry-run --recipe " + (scratch / "no_recipe.json"),
      "convert " + kSample + " --dry-run --recipe " + (scratch / "bad_prompts.txt") + " --quant int8",
      // requant
      "requant " + bundle + " --chunk decoder.9 --quant int8 --source " + kSample,
      "requant " + bundle + " --chunk decoder.0 --quant int8 --source " + kFixtures + "/gemma4/text-kveqv",
      "requant " + bundle + " --chunk decoder.0 --quant q5_9 --source " + kSample,
      // inspect
      "inspect " + (scratch / "nothing"), "inspect " + kSample + " --bogus", "inspect " + bundle + " --tensor nope",
      "inspect " + kSample + " --recipe",
      "inspect " + hostile + "shard-dotdot", "inspect " + hostile + "shard-nested",
      "inspect " + hostile + "truncated_data.safetensors", "inspect " + hostile + "header_length_huge.safetensors",
      // usage
      "", "frobnicate", "completion fish",
  };
  for (const std::string& args : failing) {
    auto r = run_cli_capture(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(testing::count_lines(r.err), 1u) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("hfbundle: ", 0), 0u) << args << "\n" << r.err;
  }
}

}  // namespace
}  // namespace hfb
