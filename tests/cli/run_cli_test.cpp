// `hfbundle run`: greedy ids on one line, --json shape, and exit 2 for bad prompt ids.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/cli/run_cli_helper.h"

namespace hfb {
namespace {

using testing::run_cli;
const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

nlohmann::json golden_case(int index) {
  std::ifstream in(kSample + "/golden.json");
  return nlohmann::json::parse(in)["cases"][index];
}

std::string join(const nlohmann::json& ids, const char* sep) {
  std::string s;
  for (const auto& id : ids) s += (s.empty() ? "" : sep) + std::to_string(id.get<int64_t>());
  return s;
}

TEST(RunCli, PrintsTheGoldenGreedyContinuation) {
  const nlohmann::json c = golden_case(1);
  auto r = run_cli("run " + kSample + " --prompt-ids " + join(c["prompt"], ","));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, join(c["greedy"], " ") + "\n");  // 16 = the default -n and the golden's length

  auto three = run_cli("run " + kSample + " --prompt-ids " + join(c["prompt"], ",") + " -n 3");
  ASSERT_EQ(three.exit_code, 0);
  std::istringstream words(three.out);
  int count = 0;
  for (std::string w; words >> w;) ++count;
  EXPECT_EQ(count, 3);
}

TEST(RunCli, JsonHasPromptGeneratedAndSteps) {
  const nlohmann::json c = golden_case(0);
  auto r = run_cli("run " + kSample + " --prompt-ids " + join(c["prompt"], ",") + " -n 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["prompt"], c["prompt"]);
  ASSERT_EQ(j["generated"].size(), 4u);
  ASSERT_EQ(j["steps"].size(), 4u);
  for (size_t k = 0; k < 4; ++k) {
    const auto& s = j["steps"][k];
    for (const char* key : {"token", "top1", "top2", "top1_logit", "top2_logit", "margin"}) {
      EXPECT_TRUE(s.contains(key)) << key;
    }
    EXPECT_EQ(s["token"], c["greedy"][k]);
    EXPECT_EQ(s["token"], j["generated"][k]);
    EXPECT_NEAR(s["top1_logit"].get<double>(), c["steps"][k]["top1_logit"].get<double>(), 2e-3);
    EXPECT_NEAR(s["margin"].get<double>(), s["top1_logit"].get<double>() - s["top2_logit"].get<double>(), 1e-6);
  }
}

TEST(RunCli, BadPromptIdsExitTwo) {
  for (const char* ids : {"2,x", "2,-1", "2,512", "2,,5", "''", "2.5"}) {
    EXPECT_EQ(run_cli("run " + kSample + " --prompt-ids " + ids + " 2>/dev/null").exit_code, 2) << ids;
  }
  EXPECT_EQ(run_cli("run " + kSample + " --prompt-ids 2 -n -1 2>/dev/null").exit_code, 2);
  EXPECT_EQ(run_cli("run " + kSample + "/nope --prompt-ids 2 2>/dev/null").exit_code, 2);
  EXPECT_EQ(run_cli("run " + kSample + " 2>/dev/null").exit_code, 2);  // --prompt-ids is required
}

}  // namespace
}  // namespace hfb
