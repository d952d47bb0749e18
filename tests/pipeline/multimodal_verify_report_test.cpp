// The verify report on multimodal goldens: every stored tower tap compared (valid rows, data-flow order), reported
// per case with first_drifting_tap, a drifting tap failing the case, and the mm-clipscope scoping regression seen
// through the report.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "models/load_checkpoint.h"
#include "pipeline/multimodal_session.h"
#include "pipeline/open_model.h"
#include "validators/golden.h"
#include "validators/parity.h"
#include "validators/parity_taps.h"
#include "validators/report.h"

namespace hfb {
namespace {

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";
using nlohmann::json;

Matrix matrix(int64_t rows, int64_t cols, float value) {
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.data.assign(static_cast<size_t>(rows * cols), value);
  return m;
}

// A case with two audio layers (10 sorts after 2 numerically) and a padded per-patch vision tap.
GoldenCase synthetic_case() {
  GoldenCase c;
  c.name = "mm_synthetic";
  c.media_kind = "audio+image";
  c.taps["audio_output_mask"] = matrix(3, 1, 1.0f);
  c.taps["audio_output_mask"].data[2] = 0.0f;  // last audio frame is padding
  c.taps["audio_layer_output.10"] = matrix(3, 4, 0.5f);
  c.taps["audio_layer_output.2"] = matrix(3, 4, 0.5f);
  c.taps["audio_subsample_output"] = matrix(3, 4, 0.5f);
  c.taps["vision_patch_embeddings"] = matrix(2, 4, 2.0f);
  c.taps["vision_embedded"] = matrix(1, 4, 2.0f);
  c.media.image_position_ids = {0, 0, -1, -1};  // second patch is padding
  return c;
}

TEST(TowerTaps, DataFlowOrderAndValidRowsOnly) {
  GoldenCase c = synthetic_case();
  Taps ours = c.taps;
  ours["audio_layer_output.2"].data[8] = 99.0f;       // row 2: padded frame, not compared
  ours["vision_patch_embeddings"].data[4] = -50.0f;   // row 1: padding patch, not compared
  std::vector<TapReport> taps = compare_tower_taps(c, ours);
  ASSERT_EQ(taps.size(), 5u);  // the mask is not a tap
  EXPECT_EQ(taps[0].name, "audio_subsample_output");
  EXPECT_EQ(taps[1].name, "audio_layer_output.2");
  EXPECT_EQ(taps[2].name, "audio_layer_output.10");
  EXPECT_EQ(taps[3].name, "vision_patch_embeddings");
  EXPECT_EQ(taps[4].name, "vision_embedded");
  for (const TapReport& t : taps) EXPECT_TRUE(t.pass) << t.name;
  EXPECT_EQ(taps[1].valid_rows, 2);
  EXPECT_EQ(taps[3].valid_rows, 1);
  EXPECT_DOUBLE_EQ(taps[3].limit, 2e-3);  // 1e-3 * max(1, max|golden|) with max|golden| = 2
  EXPECT_FALSE(first_drifting_tap(taps).has_value());
}

TEST(TowerTaps, ToleranceEdgeMissingAndShapeMismatchFail) {
  GoldenCase c = synthetic_case();
  Taps ours = c.taps;
  ours["audio_layer_output.10"].data[0] += 1.5e-3f;  // limit is 1e-3 (max|golden| 0.5 < 1)
  ours["vision_patch_embeddings"].data[0] += 1.5e-3f;  // within 2e-3
  ours.erase("vision_embedded");
  ours["audio_subsample_output"] = matrix(2, 4, 0.5f);
  std::vector<TapReport> taps = compare_tower_taps(c, ours);
  EXPECT_FALSE(taps[0].pass);
  EXPECT_NE(taps[0].problem.find("shape [2, 4], golden [3, 4]"), std::string::npos) << taps[0].problem;
  EXPECT_TRUE(taps[1].pass);
  EXPECT_FALSE(taps[2].pass);
  EXPECT_NEAR(taps[2].max_abs, 1.5e-3, 1e-6);
  EXPECT_TRUE(taps[3].pass);
  EXPECT_FALSE(taps[4].pass);
  EXPECT_EQ(taps[4].problem, "not produced by the runtime");
  EXPECT_EQ(first_drifting_tap(taps).value_or(""), "audio_subsample_output");
}

TEST(TowerTaps, ExtraTrailingRowsOfOursAreNotCompared) {
  GoldenCase c = synthetic_case();
  Taps ours = c.taps;
  ours["vision_embedded"] = matrix(3, 4, 2.0f);  // the graph keeps padding pooled tokens after the valid one
  ours["vision_embedded"].data[4] = 99.0f;       // row 1: beyond the golden's rows
  std::vector<TapReport> taps = compare_tower_taps(c, ours);
  EXPECT_TRUE(taps[4].pass) << taps[4].problem;
  EXPECT_EQ(taps[4].valid_rows, 1);
  ours["vision_embedded"].data[0] = 99.0f;  // row 0 is still compared
  EXPECT_FALSE(compare_tower_taps(c, ours)[4].pass);
  ours["vision_embedded"] = matrix(3, 5, 2.0f);  // other columns still fail
  EXPECT_FALSE(compare_tower_taps(c, ours)[4].pass);
}

TEST(TowerTaps, CosineCatchesADirectionChangeWithinMaxAbs) {
  GoldenCase c = synthetic_case();
  Taps ours = c.taps;
  c.taps["vision_embedded"] = matrix(1, 4, 0.0f);
  c.taps["vision_embedded"].data[0] = 5e-4f;
  ours["vision_embedded"] = matrix(1, 4, 0.0f);
  ours["vision_embedded"].data[1] = 5e-4f;  // max-abs 5e-4 <= limit 1e-3, but orthogonal
  std::vector<TapReport> taps = compare_tower_taps(c, ours);
  EXPECT_LE(taps[4].max_abs, taps[4].limit);
  EXPECT_NEAR(taps[4].cosine, 0.0, 1e-12);
  EXPECT_FALSE(taps[4].pass);
}

TEST(TowerTaps, DriftingTapFailsTheCaseUnlessLogitToleranceIsOff) {
  GoldenCase c = synthetic_case();
  c.prompt = {2, 5};
  c.greedy = {7};
  c.steps.resize(1);
  c.steps[0].margin = 1.0;
  c.prefill_logits = matrix(2, 8, 0.0f);
  c.step_logits = matrix(1, 8, 0.0f);
  Taps ours = c.taps;
  ours["audio_layer_output.10"].data[0] = 3.0f;
  VerifyOptions options;
  CaseReport r = compare_case(c, c.prefill_logits, c.step_logits, {7}, ours, 4, options);
  ASSERT_TRUE(r.first_drifting_tap.has_value());
  EXPECT_EQ(*r.first_drifting_tap, "audio_layer_output.10");
  judge_case(c, options, &r);
  EXPECT_EQ(r.status, CaseStatus::kFail);
  EXPECT_NE(r.reason.find("tower tap 'audio_layer_output.10' drifts"), std::string::npos) << r.reason;
  options.logit_tolerance.reset();
  judge_case(c, options, &r);
  EXPECT_EQ(r.status, CaseStatus::kPass) << r.reason;
  EXPECT_EQ(*r.first_drifting_tap, "audio_layer_output.10");  // still reported
}

// Every stored tap of every multimodal case of `set` appears in the report and passes.
void expect_all_taps_pass(const std::string& set) {
  auto report = verify_model(kFixtures + set, kFixtures + set, VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_TRUE(report->pass) << report_summary(*report);
  auto golden = load_golden(kFixtures + set);
  ASSERT_TRUE(golden.ok());
  const json j = json::parse(report_to_json(*report));
  ASSERT_EQ(j["cases"].size(), golden->cases.size());
  for (size_t i = 0; i < golden->cases.size(); ++i) {
    const GoldenCase& c = golden->cases[i];
    const json& jc = j["cases"][i];
    SCOPED_TRACE(set + "/" + c.name);
    size_t stored = 0;
    for (const auto& entry : c.taps) stored += is_tower_tap(entry.first);
    EXPECT_EQ(jc["taps"].size(), stored);
    if (c.has_media()) {
      EXPECT_GE(stored, 2u);
    }
    EXPECT_TRUE(jc["first_drifting_tap"].is_null());
    for (const json& t : jc["taps"]) {
      EXPECT_TRUE(t["pass"].get<bool>()) << t.dump();
      EXPECT_LE(t["max_abs"].get<double>(), t["limit"].get<double>()) << t.dump();
      EXPECT_GT(t["valid_rows"].get<int64_t>(), 0) << t.dump();
    }
  }
}

TEST(MultimodalVerifyReport, FixtureMmEveryTapPasses) { expect_all_taps_pass("mm"); }

TEST(MultimodalVerifyReport, FixtureMmClipscopeEveryTapPasses) { expect_all_taps_pass("mm-clipscope"); }

TEST(MultimodalVerifyReport, PaddedImageExcludesPaddingPatches) {
  VerifyOptions options;
  options.cases = {"mm_image_padded"};
  auto report = verify_model(kFixtures + "mm", kFixtures + "mm", options);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  ASSERT_EQ(report->cases.size(), 1u);
  auto golden = load_golden(kFixtures + "mm");
  ASSERT_TRUE(golden.ok());
  auto selected = select_golden_cases(*golden, {"mm_image_padded"});
  ASSERT_TRUE(selected.ok());
  const GoldenCase& c = selected->cases[0];
  int64_t padding = 0;
  for (size_t p = 0; p + 1 < c.media.image_position_ids.size(); p += 2) {
    padding += c.media.image_position_ids[p] == -1 && c.media.image_position_ids[p + 1] == -1;
  }
  ASSERT_GT(padding, 0);
  bool saw_patch_tap = false;
  for (const TapReport& t : report->cases[0].taps) {
    if (t.name != "vision_patch_embeddings") continue;
    saw_patch_tap = true;
    EXPECT_EQ(t.valid_rows, c.taps.at(t.name).rows - padding);
    EXPECT_TRUE(t.pass);
  }
  EXPECT_TRUE(saw_patch_tap);
}

// The same through `hfbundle verify --report`: the JSON on disk names the taps of each multimodal case.
TEST(MultimodalVerifyReport, CliReportListsTheTaps) {
  const std::string report = ::testing::TempDir() + "hfb_mm_taps_report.json";
  const std::string command = std::string(HFB_CLI_PATH) + " verify " + kFixtures + "mm --golden " + kFixtures +
                              "mm --cases mm_audio,mm_image_padded,case0 --report " + report + " > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::ifstream in(report);
  const json j = json::parse(in);
  std::remove(report.c_str());
  ASSERT_EQ(j["cases"].size(), 3u);
  const json& audio = j["cases"][0];
  ASSERT_GE(audio["taps"].size(), 4u);
  EXPECT_EQ(audio["taps"][0]["name"], "audio_subsample_output");
  EXPECT_EQ(audio["taps"][1]["name"], "audio_layer_output.0");
  EXPECT_EQ(audio["taps"].back()["name"], "audio_embedded");
  EXPECT_TRUE(audio["first_drifting_tap"].is_null());
  EXPECT_EQ(j["cases"][1]["taps"][0]["name"], "vision_patch_embeddings");
  EXPECT_TRUE(j["cases"][2]["taps"].empty());
  EXPECT_EQ(j["verdict"], "pass");
}

// The mm-clipscope regression through the report path: vision clip bounds applied although
// vision.use_clipped_linears is false must fail the case and name a vision tap.
TEST(MultimodalVerifyReport, WronglyScopedVisionClipBoundsNameAVisionTap) {
  auto model = load_checkpoint(kFixtures + "mm-clipscope");
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  ASSERT_FALSE(model->config.vision->use_clipped_linears);
  auto golden = load_golden(kFixtures + "mm-clipscope");
  ASSERT_TRUE(golden.ok()) << golden.error().to_string();
  MultimodalGraphOptions wrong;
  wrong.clip_vision_regardless_of_flag = true;
  auto session = make_multimodal_session(*model, wrong);
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  VerifyOptions options;
  options.cases = {"mm_image", "case0"};
  auto report = verify_against_golden(**session, *golden, options);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_FALSE(report->pass);
  const json j = json::parse(report_to_json(*report));
  EXPECT_EQ(j["verdict"], "fail");
  const json& image = j["cases"][0];
  EXPECT_EQ(image["status"], "fail");
  EXPECT_EQ(image["first_drifting_tap"], "vision_layer_output.0");  // the first layer's clipped linears
  EXPECT_NE(image["reason"].get<std::string>().find("tower tap 'vision_layer_output.0' drifts"), std::string::npos);
  for (const json& t : image["taps"]) {
    if (t["name"] == "vision_patch_embeddings") {
      EXPECT_TRUE(t["pass"].get<bool>());  // before any clipped linear
    }
    if (t["name"] == "vision_tower_output") {
      EXPECT_FALSE(t["pass"].get<bool>());
    }
  }
  EXPECT_EQ(j["cases"][1]["status"], "pass");  // text-only case: no tower, no taps
  EXPECT_TRUE(j["cases"][1]["taps"].empty());
  const std::string summary = report_summary(*report);
  EXPECT_NE(summary.find("first drifting tap vision_layer_output.0"), std::string::npos) << summary;
}

}  // namespace
}  // namespace hfb
