// `--quant auto` mechanics on the trained fixture: the same inputs give the same recipe; the chosen combination's
// KL, re-measured independently on the calibration data, is within the budget; a loose budget takes the smallest
// schemes, a tight one keeps more precision; bad budgets and an impossible --max-size are refused by name.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "pipeline/auto_quant.h"
#include "pipeline/convert.h"
#include "pipeline/eval.h"
#include "pipeline/open_model.h"
#include "pipeline/quantized_session.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using testing::ScratchDir;

const std::string kTrained = std::string(HFB_FIXTURES_DIR) + "/gemma4/text-trained";

// A short calibration text keeps the measurements of a run cheap (two lines select, two confirm).
const char kCalibration[] =
    "The quick brown fox jumps over the lazy dog.\nShe sells sea shells by the sea shore.\n"
    "A stitch in time saves nine, and a penny saved is a penny earned.\nEvery good boy deserves fudge.\n";

struct Calibrated {
  ScratchDir dir;
  std::string file = dir / "calibration.txt";
  Calibrated() { std::ofstream(file) << kCalibration; }
};

AutoQuantOptions auto_options(double max_kl, const Calibrated& calibration) {
  AutoQuantOptions o;
  o.source = kTrained;
  o.max_kl = max_kl;
  o.calibrate_file = calibration.file;
  return o;
}

// Mean KL of `policy` on the calibration text, measured here without choose_auto_quant's code path.
double measure_on(const std::string& calibration, const QuantPolicyOptions& policy_options) {
  ScratchDir dir;
  auto reference = open_model_session(kTrained);
  EXPECT_TRUE(reference.ok());
  EvalReferenceInfo info;
  info.vocab_size = reference->session->vocab_size();
  info.num_layers = reference->session->num_layers();
  info.sequences = *tokenize_prompt_file(kTrained, calibration);
  EXPECT_TRUE(record_eval_reference(*reference->session, info, dir / "ref.bin", nullptr).ok());
  auto file = EvalReferenceFile::open(dir / "ref.bin");
  auto policy = QuantPolicy::create(policy_options);
  EXPECT_TRUE(policy.ok());
  auto ours = open_quantized_model_session(kTrained, *policy, nullptr);
  EXPECT_TRUE(ours.ok());
  auto report = eval_session(*ours->session, *file, nullptr);
  EXPECT_TRUE(report.ok());
  return report->kl_divergence_mean;
}

// The per-tensor policy of the chosen units (what was measured), independent of the recipe's chunk entries.
QuantPolicyOptions exact_policy(const AutoQuantResult& r) {
  QuantPolicyOptions o;
  for (const AutoUnit& u : r.units) {
    if (u.chosen == Scheme::kNone) continue;
    for (const std::string& name : u.tensors) {
      std::string escaped;
      for (char ch : name) escaped += ch == '.' ? std::string("\\.") : std::string(1, ch);
      o.tensor_types.emplace_back(escaped, u.chosen);
    }
  }
  return o;
}

TEST(AutoQuant, DeterministicAndWithinBudgetSlow) {
  Calibrated calibration;
  const double budget = 5e-4;
  auto first = choose_auto_quant(auto_options(budget, calibration));
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  auto second = choose_auto_quant(auto_options(budget, calibration));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->to_json(), second->to_json());
  EXPECT_NE(first->calibration.find("--calibrate"), std::string::npos) << first->calibration;
  EXPECT_LE(first->validation_kl, budget * 0.9);  // confirmed with the margin on the half it was not chosen on
  EXPECT_LE(first->selection_kl, first->working_budget);
  EXPECT_LE(first->working_budget, budget * 0.9);
  ASSERT_FALSE(first->rounds.empty());
  EXPECT_TRUE(first->rounds.back().confirmed);
  for (size_t r = 0; r + 1 < first->rounds.size(); ++r) {
    EXPECT_FALSE(first->rounds[r].confirmed);
    EXPECT_LT(first->rounds[r + 1].budget, first->rounds[r].budget);
  }
  // The chosen combination, one exact-name rule per tensor, re-measured here on the whole calibration text:
  // the positions-weighted mean of the two halves' measurements.
  const QuantPolicyOptions exact = exact_policy(*first);
  EXPECT_NEAR(measure_on(calibration.file, exact), first->kl_divergence_mean, 1e-9 * first->kl_divergence_mean);
  for (const AutoUnit& u : first->units) {
    EXPECT_FALSE(u.tensors.empty());
    EXPECT_EQ(u.sensitivity.size(), u.ladder.size()) << u.chunk;
  }
  // The recipe is chunk entries, and it quantizes exactly as measured: converting with it and with the exact
  // per-tensor policy gives the same data files.
  EXPECT_TRUE(first->policy.tensor_types.empty());
  EXPECT_FALSE(first->policy.chunk_types.empty());
  ScratchDir dir;
  ConvertOptions a;
  a.source = kTrained;
  a.out = dir / "recipe.hfb";
  a.quant = first->policy;
  ConvertOptions b = a;
  b.out = dir / "exact.hfb";
  b.quant = exact;
  auto ra = convert_checkpoint(a);
  auto rb = convert_checkpoint(b);
  ASSERT_TRUE(ra.ok() && rb.ok()) << (ra.ok() ? rb.error().to_string() : ra.error().to_string());
  EXPECT_EQ(ra->tensor_bytes, first->bytes);
  for (const ConvertFileSummary& f : ra->files) {
    EXPECT_EQ(testing::read_all(dir / ("recipe.hfb/" + f.name)), testing::read_all(dir / ("exact.hfb/" + f.name))) << f.name;
  }
}

TEST(AutoQuant, LooseBudgetTakesTheSmallestSchemesSlow) {
  Calibrated calibration;
  auto loose = choose_auto_quant(auto_options(1.0, calibration));
  ASSERT_TRUE(loose.ok()) << loose.error().to_string();
  for (const AutoUnit& u : loose->units) EXPECT_EQ(u.chosen, u.ladder.back()) << u.chunk << " " << role_name(u.role);
  auto strict = choose_auto_quant(auto_options(1e-9, calibration));
  ASSERT_TRUE(strict.ok());
  EXPECT_LE(strict->kl_divergence_mean, 1e-9);
  EXPECT_GT(strict->bytes, loose->bytes);
}

TEST(AutoQuant, Refusals) {
  for (double bad : {0.0, -1.0, std::nan("")}) {
    auto refused = choose_auto_quant(auto_options(bad, Calibrated()));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(refused.error().message.find("--max-kl"), std::string::npos);
  }
}

TEST(AutoQuant, MaxSizeTooSmallSlow) {
  Calibrated calibration;
  AutoQuantOptions small = auto_options(1.0, calibration);
  small.max_size = 1000;
  auto refused = choose_auto_quant(small);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kCheckFailed);
  EXPECT_NE(refused.error().message.find("--max-size 1000"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace hfb
