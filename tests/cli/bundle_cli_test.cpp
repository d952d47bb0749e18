// `hfbundle run` / `verify` on bundles: a zstd zip bundle generates what its checkpoint generates, passes its
// goldens, and `verify --against --save-golden` output is read back by `verify --golden`.
#include <gtest/gtest.h>

#include <string>

#include "tests/cli/run_cli_helper.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using testing::run_cli;
using testing::ScratchDir;

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

std::string convert_sample(const ScratchDir& scratch, const std::string& flags) {
  const std::string out = scratch / (flags.find("--zip") == std::string::npos ? "sample.hfb" : "sample.hfb.zip");
  auto r = run_cli("convert " + kSample + " -o " + out + " " + flags + " > /dev/null");
  EXPECT_EQ(r.exit_code, 0);
  return out;
}

TEST(BundleCli, RunOnABundleGeneratesLikeTheCheckpoint) {
  ScratchDir scratch;
  const std::string bundle = convert_sample(scratch, "--zip --zstd 3 --chunks 0-1,2-3");
  auto ours = run_cli("run " + bundle + " --prompt-ids 2,17,5 -n 6");
  auto reference = run_cli("run " + kSample + " --prompt-ids 2,17,5 -n 6");
  EXPECT_EQ(ours.exit_code, 0);
  EXPECT_EQ(reference.exit_code, 0);
  EXPECT_FALSE(ours.out.empty());
  EXPECT_EQ(ours.out, reference.out);
}

TEST(BundleCli, VerifyABundleAgainstGoldensAndSavedGoldens) {
  ScratchDir scratch;
  const std::string bundle = convert_sample(scratch, "--zip");
  auto golden = run_cli("verify " + bundle + " --golden " + kSample);
  EXPECT_EQ(golden.exit_code, 0) << golden.out;
  EXPECT_NE(golden.out.find("PASS"), std::string::npos) << golden.out;

  const std::string saved = scratch / "golden";
  auto against = run_cli("verify " + bundle + " --against " + kSample +
                         " --random-prompts 2 --steps 3 --save-golden " + saved + " --report " + (scratch / "a.json"));
  EXPECT_EQ(against.exit_code, 0) << against.out;
  auto reread = run_cli("verify " + bundle + " --golden " + saved + " --report " + (scratch / "b.json"));
  EXPECT_EQ(reread.exit_code, 0) << reread.out;
  const std::string a = testing::read_all(scratch / "a.json");
  const std::string b = testing::read_all(scratch / "b.json");
  // Same figures; only the golden's label differs (the reference path vs the saved directory).
  const auto tokens = [](const std::string& json) { return json.substr(0, json.find("\"cases\"")); };
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a.substr(a.find("\"cases\"")), b.substr(b.find("\"cases\"")));
  EXPECT_NE(tokens(a).find("\"tokens_matched\""), std::string::npos);
}

TEST(BundleCli, QuantOnABundleIsABadArgument) {
  ScratchDir scratch;
  const std::string bundle = convert_sample(scratch, "");
  EXPECT_EQ(run_cli("run " + bundle + " --prompt-ids 2,17 --quant q4_0 2>/dev/null").exit_code, 2);
  EXPECT_EQ(run_cli("verify " + bundle + " --golden " + kSample + " --quant q4_0 2>/dev/null").exit_code, 2);
}

TEST(BundleCli, SaveGoldenNeedsAgainst) {
  ScratchDir scratch;
  auto r = run_cli("verify " + kSample + " --golden " + kSample + " --save-golden " + (scratch / "g") + " 2>/dev/null");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace hfb
