// `eval` on the trained fixture: the float checkpoint against itself gives KL 0 and agreement 1; --text and
// --ids-file on the same bytes give the same numbers; a saved reference reproduces a fresh run bit for bit; a
// reference file of another model, vocabulary or id list is refused by name; and the acceptance numbers of
// issue 21 (q4_0: top-1 97.5 %, mean KL 1.5e-3 on eval-ids.txt; 8-bit schemes: >= 99 %, ~2e-5).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "pipeline/convert.h"
#include "pipeline/eval.h"
#include "pipeline/open_model.h"
#include "pipeline/quantized_session.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using testing::ScratchDir;

const std::string kTrained = std::string(HFB_FIXTURES_DIR) + "/gemma4/text-trained";

EvalOptions ids_options() {
  EvalOptions o;
  o.against = kTrained;
  o.ids_file = kTrained + "/eval-ids.txt";
  return o;
}

void expect_same_numbers(const EvalReport& a, const EvalReport& b) {
  EXPECT_EQ(a.positions, b.positions);
  EXPECT_EQ(a.kl_divergence_mean, b.kl_divergence_mean);
  EXPECT_EQ(a.kl_divergence_p99, b.kl_divergence_p99);
  EXPECT_EQ(a.kl_divergence_max, b.kl_divergence_max);
  EXPECT_EQ(a.teacher_forced_top1_agreement, b.teacher_forced_top1_agreement);
  EXPECT_EQ(a.perplexity_reference, b.perplexity_reference);
  EXPECT_EQ(a.perplexity_ours, b.perplexity_ours);
}

std::string convert_to(const ScratchDir& dir, Scheme scheme) {
  ConvertOptions o;
  o.source = kTrained;
  o.out = dir / (std::string(scheme_name(scheme)) + ".bundle");
  o.quant.global = scheme;
  auto converted = convert_checkpoint(o);
  EXPECT_TRUE(converted.ok()) << converted.error().to_string();
  return o.out;
}

TEST(Eval, FloatCheckpointAgainstItselfSlow) {
  auto report = eval_model(kTrained, ids_options());
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->sequences, 32);
  EXPECT_EQ(report->positions, 32 * 128);
  EXPECT_EQ(report->predicted_tokens, 32 * 127);
  EXPECT_EQ(report->kl_divergence_mean, 0.0);
  EXPECT_EQ(report->kl_divergence_max, 0.0);
  EXPECT_EQ(report->teacher_forced_top1_agreement, 1.0);
  EXPECT_EQ(report->perplexity_reference, report->perplexity_ours);
  // 2.28 bits/byte held out (issue 21): 2^2.28 = 4.86 per byte; the first bytes of a line are harder.
  EXPECT_GT(report->perplexity_reference, 3.5);
  EXPECT_LT(report->perplexity_reference, 7.0);
}

// eval.txt holds eval-ids.txt's bytes with the newlines inside a sequence replaced by spaces (issue 21): through
// the tokenizer it must give exactly those ids (byte b -> id b + 4, bos first), and the same numbers.
TEST(Eval, TextGivesTheIdsFileWithNewlinesAsSpacesSlow) {
  ScratchDir dir;
  EvalOptions by_ids = ids_options();
  auto ids = load_eval_sequences(by_ids, kTrained);
  ASSERT_TRUE(ids.ok());
  std::ofstream spaced(dir / "spaced-ids.txt");
  for (auto& line : *ids) {
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\n' + 4) line[i] = ' ' + 4;
      spaced << (i ? "," : "") << line[i];
    }
    spaced << "\n";
  }
  spaced.close();
  EvalOptions text = ids_options();
  text.ids_file.clear();
  text.text_file = kTrained + "/eval.txt";
  auto sequences = load_eval_sequences(text, kTrained);
  ASSERT_TRUE(sequences.ok()) << sequences.error().to_string();
  EXPECT_EQ(*sequences, *ids);
  ScratchDir out;
  const std::string bundle = convert_to(out, Scheme::kQ4_0);
  EvalOptions spaced_ids = ids_options();
  spaced_ids.ids_file = dir / "spaced-ids.txt";
  auto from_ids = eval_model(bundle, spaced_ids);
  auto from_text = eval_model(bundle, text);
  ASSERT_TRUE(from_ids.ok() && from_text.ok());
  expect_same_numbers(*from_ids, *from_text);
}

TEST(Eval, ContextCutsLines) {
  EvalOptions o = ids_options();
  o.context = 100;
  auto sequences = load_eval_sequences(o, kTrained);
  ASSERT_TRUE(sequences.ok());
  ASSERT_EQ(sequences->size(), 64u);
  EXPECT_EQ((*sequences)[0].size(), 100u);
  EXPECT_EQ((*sequences)[1].size(), 28u);
}

TEST(Eval, SavedReferenceIsReusedAndCheckedSlow) {
  ScratchDir dir;
  const std::string bundle = convert_to(dir, Scheme::kQ4_0);
  EvalOptions save = ids_options();
  save.save_reference = dir / "ref.bin";
  auto fresh = eval_model(bundle, save);
  ASSERT_TRUE(fresh.ok()) << fresh.error().to_string();
  EvalOptions reuse;
  reuse.reference_file = save.save_reference;
  auto reused = eval_model(bundle, reuse);  // ids from the file, no reference run
  ASSERT_TRUE(reused.ok()) << reused.error().to_string();
  expect_same_numbers(*fresh, *reused);
  reuse.against = kTrained;
  reuse.ids_file = kTrained + "/eval-ids.txt";
  ASSERT_TRUE(eval_model(bundle, reuse).ok());

  EvalOptions other_model = reuse;
  other_model.against = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";
  auto refused = eval_model(bundle, other_model);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("another model"), std::string::npos) << refused.error().to_string();

  EvalOptions other_ids = reuse;
  other_ids.ids_file = dir / "ids.txt";
  std::ofstream(other_ids.ids_file) << "2,40,41\n";
  refused = eval_model(bundle, other_ids);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("other ids"), std::string::npos) << refused.error().to_string();

  EvalOptions other_context = reuse;
  other_context.context = 64;
  EXPECT_FALSE(eval_model(bundle, other_context).ok());

  EvalOptions other_vocab;
  other_vocab.reference_file = save.save_reference;
  refused = eval_model(std::string(HFB_FIXTURES_DIR) + "/gemma4/sample", other_vocab);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("vocabulary"), std::string::npos) << refused.error().to_string();
}

TEST(Eval, RefusesMissingInputs) {
  EvalOptions none;
  none.ids_file = kTrained + "/eval-ids.txt";
  EXPECT_EQ(eval_model(kTrained, none).error().code, ErrorCode::kInvalidArgument);
  EvalOptions no_ids;
  no_ids.against = kTrained;
  EXPECT_EQ(eval_model(kTrained, no_ids).error().code, ErrorCode::kInvalidArgument);
}

// Issue 21's outside-measured numbers on eval-ids.txt, to 2 significant digits where it gives them.
TEST(EvalAcceptance, TextTrainedSchemesSlow) {
  ScratchDir dir;
  EvalOptions save = ids_options();
  save.save_reference = dir / "ref.bin";
  const std::string q4 = convert_to(dir, Scheme::kQ4_0);
  auto report = eval_model(q4, save);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_NEAR(report->teacher_forced_top1_agreement, 0.975, 0.0005);
  EXPECT_NEAR(report->kl_divergence_mean, 1.5e-3, 0.05e-3);
  EXPECT_NEAR(report->perplexity_ours / report->perplexity_reference, 1.0, 0.01);  // measured 5.0311 vs 5.0340
  EvalOptions reuse;
  reuse.reference_file = save.save_reference;
  for (Scheme scheme : {Scheme::kInt8, Scheme::kQ8_0}) {
    auto eight = eval_model(convert_to(dir, scheme), reuse);
    ASSERT_TRUE(eight.ok()) << eight.error().to_string();
    EXPECT_GE(eight->teacher_forced_top1_agreement, 0.99) << scheme_name(scheme);
    EXPECT_GT(eight->kl_divergence_mean, 1e-5) << scheme_name(scheme);
    EXPECT_LT(eight->kl_divergence_mean, 4e-5) << scheme_name(scheme);  // measured: int8 2.6e-5, q8_0 2.3e-5
  }
}

}  // namespace
}  // namespace hfb

namespace hfb {
namespace {

// verify: the KL over the golden's whole continuation, teacher-forced, also after a divergence.
TEST(VerifyContinuationKl, CoversEveryStepSlow) {
  VerifyOptions options;
  auto same = verify_model(kTrained, kTrained, options);
  ASSERT_TRUE(same.ok()) << same.error().to_string();
  for (const CaseReport& c : same->cases) {
    ASSERT_TRUE(c.continuation_kl_divergence_mean.has_value()) << c.name;
    EXPECT_LT(*c.continuation_kl_divergence_mean, 1e-6) << c.name;  // float32 against HF's float32
  }
  QuantPolicyOptions int4;
  int4.global = Scheme::kInt4;
  int4.params.per_tensor = true;  // the coarsest scheme: diverges somewhere on a trained model
  auto policy = QuantPolicy::create(int4);
  ASSERT_TRUE(policy.ok());
  auto lossy = verify_quantized_model(kTrained, kTrained, *policy, options, nullptr);
  ASSERT_TRUE(lossy.ok()) << lossy.error().to_string();
  bool diverged = false;
  for (const CaseReport& c : lossy->cases) {
    ASSERT_TRUE(c.continuation_kl_divergence_mean.has_value()) << c.name;
    EXPECT_GT(*c.continuation_kl_divergence_mean, 0.0) << c.name;
    diverged = diverged || c.first_divergence.has_value();
  }
  EXPECT_TRUE(diverged);
}

}  // namespace
}  // namespace hfb
