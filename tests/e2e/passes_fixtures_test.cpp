// Passes on the real fixtures (load_checkpoint): what each default pass removes, and parity with
// the HF goldens unchanged, bit for bit, for every combination of the default passes run over the
// model and its op graph, text and multimodal fixtures alike (case statuses and max |logit diff|
// equal to the unpassed model's).
#include <gtest/gtest.h>

#include "models/load_checkpoint.h"
#include "passes/pass_pipeline.h"
#include "passes/pass_registry.h"
#include "pipeline/open_model.h"
#include "tests/e2e/pass_parity.h"
#include "validators/golden.h"

namespace hfb {
namespace {

using test::ParitySummary;

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

Model load(const std::string& fixture) {
  auto model = load_checkpoint(kFixtures + fixture);
  EXPECT_TRUE(model.ok()) << model.error().to_string();
  return model.ok() ? std::move(*model) : Model{};
}

PassReport run_one(Model* model, const char* pass) {
  PassContext context;
  context.model = model;
  auto report = find_pass(pass)->run(context);
  EXPECT_TRUE(report.ok()) << report.error().to_string();
  return report.ok() ? *report : PassReport{};
}

TEST(PassesOnFixtures, SampleReleaseStripsSixKvSharedTensors) {
  Model model = load("sample-release");
  const PassReport report = run_one(&model, "kv-shared-tail-strip");
  EXPECT_EQ(report.count(PassChange::Kind::kTensorRemoved), 6u);
  // Layer 2 (sliding, head_dim 32) and layer 3 (full, 64): k_proj, v_proj [hd, 64] + k_norm [hd], BF16.
  EXPECT_EQ(report.bytes_saved(), 2u * (32 * 64 * 2 + 32) + 2u * (64 * 64 * 2 + 64));
  for (const PassChange& c : report.changes) {
    EXPECT_TRUE(c.layer == 2 || c.layer == 3) << c.name;
    EXPECT_TRUE(c.role == Role::kAttnK || c.role == Role::kAttnV || c.role == Role::kAttnKNorm)
        << c.name;
  }
  EXPECT_FALSE(run_one(&model, "kv-shared-tail-strip").changed());
  Model plain = load("sample");
  EXPECT_FALSE(run_one(&plain, "kv-shared-tail-strip").changed());
}

TEST(PassesOnFixtures, MmClipscopeDropsVisionBoundsKeepsAudio) {
  Model model = load("mm-clipscope");
  const PassReport report = run_one(&model, "clip-linear-scoping");
  EXPECT_EQ(report.count(PassChange::Kind::kTensorRemoved), 56u);
  for (const PassChange& c : report.changes) {
    EXPECT_EQ(c.tower, Tower::kVision) << c.name;
    EXPECT_EQ(c.role, Role::kClipBound) << c.name;
  }
  size_t audio_bounds = 0;
  for (const TensorInfo& t : model.tensors.tensors()) {
    EXPECT_FALSE(t.role == Role::kClipBound && t.tower == Tower::kVision) << t.name;
    audio_bounds += t.role == Role::kClipBound && t.tower == Tower::kAudio;
  }
  EXPECT_EQ(audio_bounds, 80u);
  EXPECT_FALSE(run_one(&model, "clip-linear-scoping").changed());
}

ParitySummary verify(const Model& model, const Golden& golden) {
  auto session = open_model_session(model);
  EXPECT_TRUE(session.ok()) << session.error().to_string();
  if (!session.ok()) return {};
  auto report = verify_against_golden(*session->session, golden, VerifyOptions{});
  EXPECT_TRUE(report.ok()) << report.error().to_string();
  return report.ok() ? test::summarize(*report) : ParitySummary{};
}

class DefaultPassCombinations : public ::testing::TestWithParam<const char*> {};

// Every subset of the default passes runs over the model and its op graph (run_pass_pipeline with the
// graph), and verify then runs on the passes' output: the passed tensor table and, for every graph the
// session builds (one per media shape), that graph rewritten by the same passes.
TEST_P(DefaultPassCombinations, ParityUnchanged) {
  const std::string fixture = GetParam();
  auto golden = load_golden(kFixtures + fixture);
  ASSERT_TRUE(golden.ok()) << golden.error().to_string();
  const ParitySummary baseline = verify(load(fixture), *golden);
  EXPECT_TRUE(baseline.pass) << fixture;  // text and multimodal cases alike
  EXPECT_GE(baseline.statuses.size(), 2u);
  const std::vector<std::string> defaults = default_pass_names();
  ASSERT_EQ(defaults, (std::vector<std::string>{"kv-shared-tail-strip", "clip-linear-scoping",
                                                "embed-proj-fusion", "chunk-plan"}));
  for (unsigned mask = 0; mask < (1u << defaults.size()); ++mask) {
    PassOptions options;
    for (size_t i = 0; i < defaults.size(); ++i) {
      if (!(mask & (1u << i))) options.disable.push_back(defaults[i]);
    }
    Model model = load(fixture);
    auto graph = build_gemma4_multimodal_graph(model.config, model.tensors, MediaDims{});
    ASSERT_TRUE(graph.ok()) << graph.error().to_string();
    auto result = run_pass_pipeline(model, &*graph, options);
    ASSERT_TRUE(result.ok()) << fixture << " mask " << mask << ": " << result.error().to_string();
    auto passes = resolve_passes({}, options.disable);
    ASSERT_TRUE(passes.ok());
    const ParitySummary after = test::verify_rewritten(model, *golden, test::passes_rewrite(model, *passes));
    EXPECT_EQ(after.pass, baseline.pass) << fixture << " mask " << mask;
    EXPECT_EQ(after.statuses, baseline.statuses) << fixture << " mask " << mask;
    EXPECT_EQ(after.max_abs, baseline.max_abs) << fixture << " mask " << mask;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DefaultPassCombinations,
                         ::testing::Values("sample", "sample-release", "sample-sharded", "text-kveqv",
                                           "mm", "mm-clipscope", "grid-q4_0", "grid-int8", "grid-int4",
                                           "grid-kmeans", "grid-int8-mm"));

}  // namespace
}  // namespace hfb
