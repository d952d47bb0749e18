// Parity verdict rule, metrics and report fields, proven on a FakeSession (no runtime needed).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/validators/parity_fake_session.h"
#include "validators/parity.h"
#include "validators/report.h"

namespace hfb {
namespace {

using testing::FakeSession;
using testing::record_golden_case;

const std::vector<int64_t> kPromptA = {2, 5, 3};
const std::vector<int64_t> kPromptB = {4, 1, 4, 6, 7};
constexpr int kSteps = 6;
// Step 3 of prompt A (step 0 = position 2); the fake's maps are keyed by (first prompt token, position).
const FakeSession::Key kTieStep = {2, 3 + 3 - 1};
const FakeSession::Key kPosition0 = {2, 0};
const FakeSession::Key kPosition1 = {2, 1};

Golden make_golden(FakeSession& session) {
  Golden g;
  g.dir = "fake-golden";
  g.format = "hf-gemma4-golden/1";
  g.vocab_size = FakeSession::kVocab;
  g.cases.push_back(record_golden_case(session, "a", kPromptA, kSteps));
  g.cases.push_back(record_golden_case(session, "b", kPromptB, kSteps));
  return g;
}

ParityReport verify(FakeSession& session, const Golden& golden, VerifyOptions options = {}) {
  auto r = verify_against_golden(session, golden, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? r.value() : ParityReport{};
}

// Position kTieStep: token 2 wins over token 5 by 0.0005 (a near tie); else token 2 by 1.0.
void set_row(FakeSession& s, FakeSession::Key position, float runner_up) {
  std::vector<float> row(FakeSession::kVocab, -1.0f);
  row[2] = 1.0f;
  row[5] = runner_up;
  s.overrides[position] = row;
}

TEST(ParityVerdict, AllMatchPasses) {
  FakeSession session;
  Golden golden = make_golden(session);
  ParityReport r = verify(session, golden);
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.tokens_total, 2 * kSteps);
  EXPECT_EQ(r.tokens_matched, 2 * kSteps);
  ASSERT_EQ(r.cases.size(), 2u);
  for (const CaseReport& c : r.cases) {
    EXPECT_EQ(c.status, CaseStatus::kPass);
    EXPECT_FALSE(c.first_divergence.has_value());
    EXPECT_EQ(c.max_abs_logit_diff, 0.0);
    EXPECT_EQ(c.kl_divergence_mean, 0.0);
    EXPECT_EQ(c.teacher_forced_top1_agreement, 1.0);
    EXPECT_FALSE(c.first_drifting_layer.has_value());
    EXPECT_EQ(c.layers.size(), static_cast<size_t>(FakeSession::kLayers + 1));
  }
}

TEST(ParityVerdict, NearTieDivergencePassesWithMarginFailsWithZero) {
  FakeSession session;
  set_row(session, kTieStep, 0.9995f);
  Golden golden = make_golden(session);
  session.bumps[kTieStep] = {5, 0.001f};  // flips the tie, well inside the logit tolerance
  ParityReport loose = verify(session, golden);
  const CaseReport& a = loose.cases[0];
  ASSERT_TRUE(a.first_divergence.has_value());
  EXPECT_EQ(*a.first_divergence, 3);
  EXPECT_EQ(a.tokens_matched, 3);
  EXPECT_NEAR(*a.golden_margin_at_divergence, 0.0005, 1e-6);
  EXPECT_NEAR(a.max_abs_logit_diff, 0.001, 1e-6);
  EXPECT_EQ(a.status, CaseStatus::kPass);
  EXPECT_TRUE(loose.pass);
  EXPECT_EQ(loose.tokens_matched, 3 + kSteps);

  VerifyOptions strict;
  strict.margin_threshold = 0.0;
  ParityReport r = verify(session, golden, strict);
  EXPECT_EQ(r.cases[0].status, CaseStatus::kFail);
  EXPECT_NE(r.cases[0].reason.find("step 3"), std::string::npos) << r.cases[0].reason;
  EXPECT_EQ(r.cases[1].status, CaseStatus::kPass);
  EXPECT_FALSE(r.pass);
}

TEST(ParityVerdict, LargeMarginDivergenceFailsEvenWithToleranceOff) {
  FakeSession session;
  set_row(session, kTieStep, 0.0f);  // golden margin 1.0
  Golden golden = make_golden(session);
  session.bumps[kTieStep] = {5, 1.5f};
  VerifyOptions options;
  options.logit_tolerance.reset();
  ParityReport r = verify(session, golden, options);
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.cases[0].status, CaseStatus::kFail);
  EXPECT_NEAR(*r.cases[0].golden_margin_at_divergence, 1.0, 1e-6);
  EXPECT_GT(r.cases[0].kl_divergence_mean, 0.0);
}

TEST(ParityVerdict, LogitToleranceExceededFailsAndOffPasses) {
  FakeSession session;
  set_row(session, kPosition0, 0.0f);
  Golden golden = make_golden(session);
  session.bumps[kPosition0] = {7, 0.01f};  // prefill position 0, a low logit: tokens unchanged
  ParityReport r = verify(session, golden);
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.cases[0].tokens_matched, kSteps);
  EXPECT_NEAR(r.cases[0].prefill_max_abs_logit_diff, 0.01, 1e-6);
  EXPECT_NEAR(r.cases[0].max_abs_logit_diff, 0.01, 1e-6);
  EXPECT_NE(r.cases[0].reason.find("logit"), std::string::npos);
  EXPECT_EQ(r.cases[0].teacher_forced_top1_agreement, 1.0);

  VerifyOptions off;
  off.logit_tolerance.reset();
  EXPECT_TRUE(verify(session, golden, off).pass);
  VerifyOptions wide;
  wide.logit_tolerance = 0.05;
  EXPECT_TRUE(verify(session, golden, wide).pass);
}

TEST(ParityVerdict, TeacherForcedAgreementCountsPrefillArgmax) {
  FakeSession session;
  set_row(session, kPosition1, 0.5f);
  Golden golden = make_golden(session);
  session.bumps[kPosition1] = {5, 0.6f};  // position 1 of 3 now argmax 5
  VerifyOptions off;
  off.logit_tolerance.reset();
  ParityReport r = verify(session, golden, off);
  EXPECT_NEAR(r.cases[0].teacher_forced_top1_agreement, 2.0 / 3.0, 1e-12);
  EXPECT_EQ(r.cases[0].tokens_matched, kSteps);  // the last position decides step 0, unchanged
}

TEST(ParityVerdict, FirstDriftingLayerNamesTheDecoderLayer) {
  struct Expect {
    int hidden_index;
    int layer;
  };
  for (Expect e : {Expect{2, 1}, Expect{1, 0}, Expect{0, -1}, Expect{FakeSession::kLayers, FakeSession::kLayers}}) {
    FakeSession session;
    Golden golden = make_golden(session);
    session.hidden_bumps[e.hidden_index] = 0.5f;
    ParityReport r = verify(session, golden);
    ASSERT_TRUE(r.cases[0].first_drifting_layer.has_value()) << e.hidden_index;
    EXPECT_EQ(*r.cases[0].first_drifting_layer, e.layer);
    EXPECT_NEAR(r.cases[0].layers[e.hidden_index].max_abs, 0.5, 1e-6);
    EXPECT_LT(r.cases[0].layers[e.hidden_index].cosine, 1.0);
    EXPECT_TRUE(r.pass);  // hidden drift localises, it does not judge
  }
  FakeSession session;
  Golden golden = make_golden(session);
  session.hidden_bumps[1] = 1e-6f;  // float noise: not a drift
  EXPECT_FALSE(verify(session, golden).cases[0].first_drifting_layer.has_value());
}

TEST(ParityVerdict, SkippedCaseFailsTheVerdict) {
  FakeSession session;
  Golden golden = make_golden(session);
  golden.cases[1].media_kind = "audio";
  ParityReport r = verify(session, golden);
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.cases[0].status, CaseStatus::kPass);
  EXPECT_EQ(r.cases[1].status, CaseStatus::kSkipped);
  EXPECT_NE(r.cases[1].reason.find("no towers"), std::string::npos);
  EXPECT_EQ(r.tokens_total, 2 * kSteps);
  EXPECT_EQ(r.tokens_matched, kSteps);

  VerifyOptions only_a;
  only_a.cases = {"a"};
  EXPECT_TRUE(verify(session, golden, only_a).pass);
}

TEST(ParityVerdict, CaseFilterAndBadInputs) {
  FakeSession session;
  Golden golden = make_golden(session);
  VerifyOptions options;
  options.cases = {"b"};
  ParityReport r = verify(session, golden, options);
  ASSERT_EQ(r.cases.size(), 1u);
  EXPECT_EQ(r.cases[0].name, "b");

  options.cases = {"a", "nope"};
  auto bad = verify_against_golden(session, golden, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("nope"), std::string::npos);

  VerifyOptions negative;
  negative.margin_threshold = -1.0;
  EXPECT_FALSE(verify_against_golden(session, golden, negative).ok());

  golden.vocab_size = 9;
  auto mismatch = verify_against_golden(session, golden, VerifyOptions{});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, ErrorCode::kInvalidArgument);
}

TEST(ParityReportJson, HasEveryField) {
  FakeSession session;
  set_row(session, kTieStep, 0.9995f);
  Golden golden = make_golden(session);
  session.bumps[kTieStep] = {5, 0.001f};
  golden.cases.push_back(golden.cases[1]);
  golden.cases.back().name = "c";
  golden.cases.back().media_kind = "image";
  VerifyOptions options;
  options.model = "fake-model";
  ParityReport report = verify(session, golden, options);
  nlohmann::json j = nlohmann::json::parse(report_to_json(report));
  for (const char* key : {"verdict", "model", "golden", "margin_threshold", "logit_tolerance", "tokens_total",
                          "tokens_matched", "cases"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["verdict"], "fail");
  EXPECT_EQ(j["model"], "fake-model");
  EXPECT_EQ(j["logit_tolerance"], 2e-3);
  ASSERT_EQ(j["cases"].size(), 3u);
  for (const auto& c : j["cases"]) {
    for (const char* key : {"name", "status", "tokens_total", "tokens_matched", "first_divergence",
                            "golden_margin_at_divergence", "max_abs_logit_diff", "prefill_max_abs_logit_diff",
                            "kl_divergence_mean", "teacher_forced_top1_agreement", "first_drifting_layer",
                            "layers"}) {
      EXPECT_TRUE(c.contains(key)) << key;
    }
  }
  EXPECT_EQ(j["cases"][0]["first_divergence"], 3);
  EXPECT_TRUE(j["cases"][1]["first_divergence"].is_null());
  EXPECT_EQ(j["cases"][2]["status"], "skipped");
  EXPECT_TRUE(j["cases"][2].contains("reason"));
  EXPECT_FALSE(j["cases"][1].contains("reason"));
  EXPECT_EQ(j["cases"][0]["layers"][0].size(), 3u);  // index, max_abs, cosine
  const std::string text = report_summary(report);
  EXPECT_NE(text.find("verdict: FAIL"), std::string::npos) << text;
  EXPECT_NE(text.find("skipped"), std::string::npos);
}

}  // namespace
}  // namespace hfb
