// `hfbundle run`: the "timings" object of --json, and --threads outside 1..256 is a usage error.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/cli/run_cli_helper.h"

namespace hfb {
namespace {

using testing::run_cli;
const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

std::string golden_prompt() {
  std::ifstream in(kSample + "/golden.json");
  const nlohmann::json golden = nlohmann::json::parse(in);
  std::string ids;
  for (const auto& id : golden["cases"][0]["prompt"]) {
    ids += (ids.empty() ? "" : ",") + std::to_string(id.get<int64_t>());
  }
  return ids;
}

TEST(RunTimingsCli, JsonCarriesTimings) {
  const std::string prompt = golden_prompt();
  auto r = run_cli("run " + kSample + " --prompt-ids " + prompt + " -n 5 --json --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.contains("timings"));
  const nlohmann::json& t = j["timings"];
  for (const char* key : {"load_s", "prompt_tokens", "prompt_tokens_per_s", "decode_tokens", "decode_tokens_per_s",
                          "weights_bytes_per_token", "peak_rss_bytes", "peak_anon_bytes"}) {
    ASSERT_TRUE(t.contains(key)) << key;
  }
  EXPECT_EQ(t["prompt_tokens"].get<int64_t>(), static_cast<int64_t>(j["prompt"].size()));
  EXPECT_EQ(t["decode_tokens"].get<int64_t>(), static_cast<int64_t>(j["generated"].size()) - 1);
  EXPECT_GT(t["prompt_tokens_per_s"].get<double>(), 0.0);
  EXPECT_GT(t["decode_tokens_per_s"].get<double>(), 0.0);
  EXPECT_GE(t["load_s"].get<double>(), 0.0);
  EXPECT_GT(t["peak_anon_bytes"].get<uint64_t>(), 0u);
  EXPECT_GE(t["peak_rss_bytes"].get<uint64_t>(), t["peak_anon_bytes"].get<uint64_t>());
}

TEST(RunTimingsCli, ThreadsOutsideOneTo256AreAUsageError) {
  const std::string prompt = golden_prompt();
  for (const char* bad : {"0", "257", "-1"}) {
    auto r = run_cli("run " + kSample + " --prompt-ids " + prompt + " -n 1 --threads " + bad + " 2>/dev/null");
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_TRUE(r.out.empty()) << bad;
  }
  auto ok = run_cli("run " + kSample + " --prompt-ids " + prompt + " -n 1 --threads 256 2>/dev/null");
  EXPECT_EQ(ok.exit_code, 0);
}

}  // namespace
}  // namespace hfb
