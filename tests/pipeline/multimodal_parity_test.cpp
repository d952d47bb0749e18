// Multimodal parity against the HF goldens of fixtures mm and mm-clipscope: every stored tower tap (valid rows),
// greedy tokens and logits; and the wrongly scoped vision clip bounds breaking parity in the vision tower.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "models/load_checkpoint.h"
#include "pipeline/multimodal_session.h"
#include "validators/golden.h"

namespace hfb {
namespace {

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

struct Loaded {
  Model model;
  Golden golden;
};

Loaded load(const std::string& set) {
  auto model = load_checkpoint(kFixtures + set);
  EXPECT_TRUE(model.ok()) << model.error().to_string();
  auto golden = load_golden(kFixtures + set);
  EXPECT_TRUE(golden.ok()) << golden.error().to_string();
  return Loaded{std::move(model).value(), std::move(golden).value()};
}

bool is_per_patch(const std::string& tap) {
  return tap == "vision_patch_embeddings" || tap.rfind("vision_layer_output.", 0) == 0;
}

// Rows of `tap` that hold real data: audio rows by the golden output mask, vision patch rows by position ids.
std::vector<bool> valid_rows(const GoldenCase& c, const std::string& tap, int64_t rows) {
  std::vector<bool> valid(static_cast<size_t>(rows), true);
  if (tap.rfind("audio_", 0) == 0 && c.taps.count("audio_output_mask")) {
    const Matrix& mask = c.taps.at("audio_output_mask");
    for (int64_t r = 0; r < rows && r < static_cast<int64_t>(mask.data.size()); ++r) valid[r] = mask.data[r] != 0.0f;
  }
  if (is_per_patch(tap)) {
    const auto& ids = c.media.image_position_ids;
    for (int64_t r = 0; r < rows; ++r) valid[r] = !(ids[2 * r] == -1 && ids[2 * r + 1] == -1);
  }
  return valid;
}

struct TapDiff {
  double max_abs = 0.0;
  double limit = 0.0;
};

TapDiff compare_tap(const GoldenCase& c, const std::string& name, const Matrix& ours, const Matrix& golden) {
  TapDiff d;
  // Vision pooled taps keep every pooled row (padding tokens last): the golden's rows are compared.
  EXPECT_GE(ours.rows, golden.rows) << c.name << " " << name;
  if (name.rfind("vision_", 0) != 0 || is_per_patch(name)) {
    EXPECT_EQ(ours.rows, golden.rows) << c.name << " " << name;
  }
  EXPECT_EQ(ours.cols, golden.cols) << c.name << " " << name;
  if (ours.rows < golden.rows || ours.cols != golden.cols) return TapDiff{1e30, 0.0};
  std::vector<bool> valid = valid_rows(c, name, golden.rows);
  double peak = 0.0;
  for (int64_t r = 0; r < golden.rows; ++r) {
    if (!valid[r]) continue;
    for (int64_t i = 0; i < golden.cols; ++i) {
      peak = std::max(peak, std::fabs(static_cast<double>(golden.row(r)[i])));
      d.max_abs = std::max(d.max_abs, std::fabs(static_cast<double>(ours.row(r)[i]) - golden.row(r)[i]));
    }
  }
  d.limit = 1e-3 * std::max(1.0, peak);
  return d;
}

const char* kTapPrefixes[] = {"audio_subsample_output", "audio_layer_output.", "audio_tower_output", "audio_embedded",
                              "vision_patch_embeddings", "vision_layer_output.", "vision_pooled",
                              "vision_tower_output", "vision_embedded"};

bool is_tower_tap(const std::string& name) {
  for (const char* prefix : kTapPrefixes) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// Runs one case: taps, prefill logits and every greedy step (when expect_pass). Returns the drifting taps.
std::vector<std::string> check_case(Session& session, const GoldenCase& c, bool expect_pass) {
  Taps taps;
  auto logits = session.prefill(c.prompt, c.has_media() ? &c.media : nullptr, &taps);
  EXPECT_TRUE(logits.ok()) << c.name << ": " << logits.error().to_string();
  if (!logits.ok()) return {"prefill"};
  std::vector<std::string> drifting;
  int compared = 0;
  for (const auto& [name, golden] : c.taps) {
    if (!is_tower_tap(name)) continue;
    ++compared;
    auto it = taps.find(name);
    EXPECT_NE(it, taps.end()) << c.name << ": no tap " << name;
    if (it == taps.end()) continue;
    TapDiff d = compare_tap(c, name, it->second, golden);
    if (expect_pass) {
      EXPECT_LE(d.max_abs, d.limit) << c.name << " tap " << name;
    }
    if (d.max_abs > d.limit) drifting.push_back(name);
  }
  if (c.has_media()) {
    EXPECT_GT(compared, 0) << c.name;
  }
  if (!expect_pass) return drifting;
  double worst = 0.0;
  for (size_t i = 0; i < logits->data.size(); ++i) {
    worst = std::max(worst, std::fabs(double(logits->data[i]) - c.prefill_logits.data[i]));
  }
  EXPECT_LE(worst, 2e-3) << c.name << " prefill logits";
  for (size_t s = 0; s < c.greedy.size(); ++s) {
    Matrix step;
    const float* row = logits->row(logits->rows - 1);
    if (s > 0) {
      auto next = session.decode(c.greedy[s - 1]);
      EXPECT_TRUE(next.ok()) << next.error().to_string();
      if (!next.ok()) return drifting;
      step = std::move(next).value();
      row = step.row(0);
    }
    int64_t best = std::max_element(row, row + c.step_logits.cols) - row;
    EXPECT_EQ(best, c.greedy[s]) << c.name << " step " << s;
    double step_worst = 0.0;
    for (int64_t v = 0; v < c.step_logits.cols; ++v) {
      step_worst = std::max(step_worst, std::fabs(double(row[v]) - c.step_logits.row(s)[v]));
    }
    EXPECT_LE(step_worst, 2e-3) << c.name << " step " << s;
  }
  return drifting;
}

void check_set(const std::string& set) {
  Loaded l = load(set);
  auto session = make_multimodal_session(l.model);
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  for (const GoldenCase& c : l.golden.cases) {
    SCOPED_TRACE(set + "/" + c.name);
    EXPECT_TRUE(check_case(**session, c, true).empty()) << c.name;
  }
}

TEST(MultimodalParity, FixtureMmEveryCase) { check_set("mm"); }

TEST(MultimodalParity, FixtureMmClipscopeEveryCase) { check_set("mm-clipscope"); }

TEST(MultimodalParity, WronglyScopedVisionClipBoundsBreakTheVisionTower) {
  Loaded l = load("mm-clipscope");
  ASSERT_FALSE(l.model.config.vision->use_clipped_linears);
  MultimodalGraphOptions wrong;
  wrong.clip_vision_regardless_of_flag = true;
  auto session = make_multimodal_session(l.model, wrong);
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  auto select = select_golden_cases(l.golden, {"mm_image"});
  ASSERT_TRUE(select.ok());
  std::vector<std::string> drift = check_case(**session, select->cases[0], false);
  auto has = [&](const std::string& tap) { return std::find(drift.begin(), drift.end(), tap) != drift.end(); };
  EXPECT_FALSE(has("vision_patch_embeddings"));  // before any clipped linear: still exact
  EXPECT_TRUE(has("vision_layer_output.0"));     // the first encoder layer's clipped q/k/v/o and MLP
  EXPECT_TRUE(has("vision_tower_output"));
  for (const std::string& tap : drift) EXPECT_EQ(tap.rfind("vision_", 0), 0u) << tap;
}

}  // namespace
}  // namespace hfb
