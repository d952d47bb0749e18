// embed-proj-fusion on synthetic tensor tables (no graph): what it reports, the plan it leads to,
// idempotence, a text-only model, and refusals (graph tests are in tests/e2e/embed_proj_fusion_test.cpp).
#include "passes/embed_proj_fusion.h"

#include <gtest/gtest.h>

#include "passes/pass_registry.h"
#include "tests/passes/synthetic_models.h"

namespace hfb {
namespace {

TEST(EmbedProjFusionPass, MovesBothProjectionsAndReplans) {
  Model model = testing::mm_clipscope_like();
  PassContext context;
  context.model = &model;
  context.chunk_request = ChunkRequest::with_count(2);
  auto unfused = plan_chunks(model.config, model.tensors, context.chunk_request);
  ASSERT_TRUE(unfused.ok());
  context.chunk_plan = *unfused;  // a plan made before the pass is re-made
  auto report = find_pass("embed-proj-fusion")->run(context);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  ASSERT_EQ(report->count(PassChange::Kind::kTensorMoved), 2u);
  EXPECT_EQ(report->count(PassChange::Kind::kNodeMoved), 0u);  // no graph given
  EXPECT_EQ(report->bytes_saved(), 0u);                         // moved, not removed
  EXPECT_EQ(report->changes[0].name, "model.embed_audio.embedding_projection.weight");
  EXPECT_EQ(report->changes[0].bytes, 64u * 36 * 2);
  EXPECT_EQ(report->changes[1].tower, Tower::kVision);
  EXPECT_NE(report->to_string().find("tensor moved model.embed_audio.embedding_projection.weight "
                                     "(embedder_projection, audio, 4608 bytes)"),
            std::string::npos)
      << report->to_string();
  EXPECT_NE(report->to_string().find("2 tensors and 0 nodes moved to another chunk"), std::string::npos);
  ASSERT_TRUE(context.chunk_plan.has_value());
  const Chunk* audio = context.chunk_plan->find("audio");
  EXPECT_EQ(audio->bytes, unfused->find("audio")->bytes + 64u * 36 * 2);
  EXPECT_EQ(context.chunk_plan->find("embeddings")->bytes, unfused->find("embeddings")->bytes - 2u * 64 * 36 * 2);
  EXPECT_EQ(audio->outputs[0].kind, BoundaryValue::Kind::kAudioSoftTokens);
  auto again = find_pass("embed-proj-fusion")->run(context);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed());
}

TEST(EmbedProjFusionPass, TextOnlyModelHasNothingToMove) {
  Model model = testing::sample_release_like();
  PassContext context;
  context.model = &model;
  auto report = find_pass("embed-proj-fusion")->run(context);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->changed());
  EXPECT_FALSE(report->notes.empty());
}

TEST(EmbedProjFusionPass, RefusesMissingOrMisshapenProjections) {
  Model missing = testing::mm_clipscope_like();
  missing.tensors.find_mutable("model.embed_audio.embedding_projection.weight")->role = Role::kMlpUp;
  PassContext context;
  context.model = &missing;
  auto refused = find_pass("embed-proj-fusion")->run(context);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("audio tower has no embedder projection"), std::string::npos);
  EXPECT_FALSE(context.chunk_request.embedders_in_towers);

  Model square = testing::mm_clipscope_like();
  square.tensors.find_mutable("model.embed_vision.embedding_projection.weight")->shape = Shape{36, 36};
  context.model = &square;
  auto bad = find_pass("embed-proj-fusion")->run(context);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("expected [64, 36]"), std::string::npos) << bad.error().to_string();
}

}  // namespace
}  // namespace hfb
