// `hfbundle verify`: exit codes 0/1/2, the summary and the --report JSON (written whole, no temp files left).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/cli/run_cli_helper.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;
const std::string kGemma = std::string(HFB_FIXTURES_DIR) + "/gemma4/";
const std::string kSample = kGemma + "sample";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hfb-verify-cli-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) ? pattern : "/nonexistent";
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const char* name) const { return path_ + "/" + name; }
  size_t entries() const { return static_cast<size_t>(std::distance(fs::directory_iterator(path_), {})); }

 private:
  std::string path_;
};

TEST(VerifyCli, PassWritesSummaryAndReport) {
  TempDir tmp;
  auto r = run_cli("verify " + kSample + " --golden " + kSample + " --report " + tmp.file("report.json"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("verdict: PASS"), std::string::npos) << r.out;
  EXPECT_EQ(tmp.entries(), 1u);  // the report only: the temporary file was renamed
  std::ifstream in(tmp.file("report.json"));
  nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["verdict"], "pass");
  EXPECT_EQ(j["model"], kSample);
  EXPECT_EQ(j["golden"], kSample);
  EXPECT_EQ(j["margin_threshold"], 0.1);
  EXPECT_EQ(j["logit_tolerance"], 2e-3);
  EXPECT_EQ(j["tokens_total"], 48);
  EXPECT_EQ(j["tokens_matched"], 48);
  ASSERT_EQ(j["cases"].size(), 3u);
  for (const auto& c : j["cases"]) {
    for (const char* key : {"name", "status", "tokens_total", "tokens_matched", "first_divergence",
                            "golden_margin_at_divergence", "max_abs_logit_diff", "prefill_max_abs_logit_diff",
                            "kl_divergence_mean", "teacher_forced_top1_agreement", "first_drifting_layer",
                            "layers"}) {
      EXPECT_TRUE(c.contains(key)) << key;
    }
    EXPECT_EQ(c["status"], "pass");
    EXPECT_LE(c["max_abs_logit_diff"].get<double>(), 2e-3);
  }
  EXPECT_EQ(j["cases"][2]["layers"].size(), 5u);
}

TEST(VerifyCli, ParityFailureExitsOne) {
  // Real logits differ by ~2e-5: a 1e-9 tolerance must fail, 'off' must pass.
  auto strict = run_cli("verify " + kSample + " --golden " + kSample + " --logit-tolerance 1e-9");
  EXPECT_EQ(strict.exit_code, 1) << strict.out;
  EXPECT_NE(strict.out.find("verdict: FAIL"), std::string::npos);
  auto off = run_cli("verify " + kSample + " --golden " + kSample + " --logit-tolerance off --cases case0");
  EXPECT_EQ(off.exit_code, 0) << off.out;
  // A multimodal model runs through the same path: its text cases pass.
  auto mm = run_cli("verify " + kGemma + "mm --golden " + kGemma + "mm --cases case0,case1");
  EXPECT_EQ(mm.exit_code, 0) << mm.out;
}

TEST(VerifyCli, BadInputExitsTwo) {
  TempDir tmp;
  const std::string base = "verify " + kSample + " --golden ";
  const std::vector<std::string> bad = {
      base + tmp.file("missing"),                               // no golden
      base + kSample + " --cases case0,nope",                   // unknown case
      base + kSample + " --logit-tolerance fast",               // bad tolerance
      base + kSample + " --margin -1",                          // bad margin
      base + kGemma + "text-kveqv",                             // golden of another model (vocab 1280)
      "verify " + tmp.file("nomodel") + " --golden " + kSample,  // no model
      "verify " + kSample,                                       // --golden is required
  };
  for (const std::string& args : bad) {
    auto r = run_cli(args + " --report " + tmp.file("r.json") + " 2>/dev/null");
    EXPECT_EQ(r.exit_code, 2) << args;
  }
  EXPECT_EQ(tmp.entries(), 0u);  // no report, no debris
}

TEST(VerifyCli, AgainstAReferenceCheckpoint) {
  TempDir tmp;
  {
    std::ofstream prompts(tmp.file("prompts.txt"));
    prompts << "2,17,5\n# a comment\n2,100,200,300\n";
  }
  auto r = run_cli("verify " + kSample + " --against " + kGemma + "sample-sharded --prompt-ids-file " +
                   tmp.file("prompts.txt") + " --steps 4 --report " + tmp.file("r.json"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::ifstream in(tmp.file("r.json"));
  nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["tokens_total"], 8);
  EXPECT_EQ(j["tokens_matched"], 8);
  EXPECT_EQ(run_cli("verify " + kSample + " --against " + kSample + " --random-prompts 2 --seed 3").exit_code, 0);
  {
    std::ofstream bad(tmp.file("bad.txt"));
    bad << "2,17\n2,abc\n";
  }
  const std::string against = "verify " + kSample + " --against " + kSample;
  EXPECT_EQ(run_cli(against + " --prompt-ids-file " + tmp.file("bad.txt") + " 2>/dev/null").exit_code, 2);
  EXPECT_EQ(run_cli(against + " --prompt-ids-file " + tmp.file("none.txt") + " 2>/dev/null").exit_code, 2);
  EXPECT_EQ(run_cli(against + " --golden " + kSample + " 2>/dev/null").exit_code, 2);
  EXPECT_EQ(run_cli(against + " --random-prompts 0 2>/dev/null").exit_code, 2);
}

}  // namespace
}  // namespace hfb
