// Recording a golden from a reference session (verify --against): same model -> 100 %, perturbed -> caught.
#include <gtest/gtest.h>

#include "tests/validators/parity_fake_session.h"
#include "validators/golden_record.h"
#include "validators/parity.h"

namespace hfb {
namespace {

using testing::FakeSession;

TEST(GoldenRecord, SameModelMatchesEveryToken) {
  FakeSession reference;
  auto prompts = random_prompts(5, 42, FakeSession::kVocab, 2, {0, 1, 2});
  GoldenRecordOptions options;
  options.steps = 7;
  options.label = "reference";
  auto golden = record_golden(reference, prompts, options);
  ASSERT_TRUE(golden.ok()) << golden.error().to_string();
  ASSERT_EQ(golden->cases.size(), 5u);
  EXPECT_EQ(golden->cases[0].step_logits.rows, 7);
  EXPECT_EQ(golden->cases[0].hidden_states.size(), static_cast<size_t>(FakeSession::kLayers + 1));
  FakeSession candidate;
  auto report = verify_against_golden(candidate, *golden, VerifyOptions{});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->pass);
  EXPECT_EQ(report->tokens_matched, 35);
  EXPECT_EQ(report->golden, "reference");

  candidate.hidden_bumps[2] = 0.5f;
  candidate.bumps[{2, 0}] = {3, 0.01f};
  report = verify_against_golden(candidate, *golden, VerifyOptions{});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->pass);
  EXPECT_EQ(report->cases[0].first_drifting_layer.value_or(-9), 1);
}

TEST(GoldenRecord, StopsAfterEosLikeGenerate) {
  FakeSession reference;
  GoldenRecordOptions options;
  options.steps = 12;
  auto full = record_golden(reference, {{2, 3}}, options).value();
  options.eos_ids = {full.cases[0].greedy[2]};
  auto stopped = record_golden(reference, {{2, 3}}, options).value();
  EXPECT_TRUE(stopped.cases[0].stopped_at_eos);
  EXPECT_LE(stopped.cases[0].greedy.size(), 3u);
  EXPECT_EQ(stopped.cases[0].greedy.back(), full.cases[0].greedy[2]);
}

TEST(GoldenRecord, RandomPromptsAreDeterministicAndWellFormed) {
  auto a = random_prompts(50, 7, 100, 2, {0, 1, 2, 99});
  auto b = random_prompts(50, 7, 100, 2, {0, 1, 2, 99});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, random_prompts(50, 8, 100, 2, {0, 1, 2, 99}));
  for (const auto& p : a) {
    ASSERT_GE(p.size(), 2u);
    ASSERT_LE(p.size(), 32u);
    EXPECT_EQ(p[0], 2);
    for (size_t i = 1; i < p.size(); ++i) {
      EXPECT_TRUE(p[i] > 2 && p[i] < 99) << p[i];
    }
  }
}

TEST(GoldenRecord, RefusesNoPromptsAndIdsOutsideTheVocabulary) {
  FakeSession reference;
  EXPECT_FALSE(record_golden(reference, {}, GoldenRecordOptions{}).ok());
  EXPECT_FALSE(record_golden(reference, {{2, 8}}, GoldenRecordOptions{}).ok());  // 8 >= vocab
}

}  // namespace
}  // namespace hfb
