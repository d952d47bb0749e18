// Pass registry: defaults, --pass/--no-pass resolution and errors, and a default pipeline run
// that strips, scopes and plans chunks from the tensor table.
#include "passes/pass_registry.h"

#include "passes/pass_pipeline.h"

#include <gtest/gtest.h>

#include "tests/passes/synthetic_models.h"

namespace hfb {
namespace {

std::vector<std::string> names_of(const std::vector<const Pass*>& passes) {
  std::vector<std::string> out;
  for (const Pass* p : passes) out.emplace_back(p->name());
  return out;
}

TEST(PassRegistryTest, DefaultsInCanonicalOrder) {
  EXPECT_EQ(default_pass_names(), (std::vector<std::string>{"kv-shared-tail-strip", "clip-linear-scoping",
                                                            "embed-proj-fusion", "chunk-plan"}));
  auto resolved = resolve_passes({}, {});
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(names_of(*resolved), default_pass_names());
  ASSERT_NE(find_pass("chunk-plan"), nullptr);
  EXPECT_EQ(find_pass("chunk_plan"), nullptr);
}

TEST(PassRegistryTest, NoPassRemovesAndOrderIsCanonical) {
  auto resolved = resolve_passes({"clip-linear-scoping"}, {"chunk-plan", "kv-shared-tail-strip"});
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(names_of(*resolved), (std::vector<std::string>{"clip-linear-scoping", "embed-proj-fusion"}));
}

TEST(PassRegistryTest, RejectsUnknownConflictingAndUnavailablePasses) {
  auto unknown = resolve_passes({"kv-strip"}, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("--pass kv-strip: unknown pass (known: conv-norm-swap, kv-shared-tail-strip"),
            std::string::npos) << unknown.error().message;
  auto bad_disable = resolve_passes({}, {"nope"});
  ASSERT_FALSE(bad_disable.ok());
  EXPECT_NE(bad_disable.error().message.find("--no-pass nope"), std::string::npos);
  auto both = resolve_passes({"chunk-plan"}, {"chunk-plan"});
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("both enabled"), std::string::npos);
  auto fusion_off = resolve_passes({}, {"embed-proj-fusion"});
  ASSERT_TRUE(fusion_off.ok());
  EXPECT_EQ(fusion_off->size(), default_pass_names().size() - 1);
}

TEST(PassRegistryTest, DefaultPipelineStripsThenPlansWithoutDeadBytes) {
  Model model = testing::mm_clipscope_like();
  PassContext context;
  context.model = &model;
  context.chunk_request = ChunkRequest::with_count(2);
  auto passes = resolve_passes({}, {});
  ASSERT_TRUE(passes.ok());
  auto reports = run_passes(context, *passes);
  ASSERT_TRUE(reports.ok()) << reports.error().to_string();
  ASSERT_EQ(reports->size(), 4u);
  EXPECT_EQ((*reports)[0].count(PassChange::Kind::kTensorRemoved), 6u);
  EXPECT_EQ((*reports)[1].count(PassChange::Kind::kTensorRemoved), 56u);
  EXPECT_EQ((*reports)[2].count(PassChange::Kind::kTensorMoved), 2u);  // embed_audio, embed_vision
  ASSERT_TRUE(context.chunk_plan.has_value());
  const ChunkPlan& plan = *context.chunk_plan;
  EXPECT_EQ(plan.kv_boundary, 2);
  EXPECT_EQ(plan.decoder_ranges(), (std::vector<LayerRange>{{0, 2}, {2, 4}}));
  EXPECT_FALSE((*reports)[3].notes.empty());
  // Chunk membership: pieces own what they compute; the tied head borrows the embedding.
  const Chunk* embeddings = plan.find("embeddings");
  const Chunk* head = plan.find("head");
  const Chunk* vision = plan.find("vision");
  ASSERT_TRUE(embeddings && head && vision && plan.find("audio"));
  EXPECT_EQ(embeddings->tensors.size(), 4u);  // token table, PLE table, projection, its norm
  EXPECT_EQ(head->tensors, (std::vector<std::string>{"model.norm.weight"}));
  EXPECT_EQ(head->borrowed, (std::vector<std::string>{"model.embed_tokens.weight"}));
  EXPECT_EQ(vision->tensors.size(), 15u);  // weights + embedder: its bounds were scoped away
  EXPECT_EQ(vision->outputs, (std::vector<BoundaryValue>{{BoundaryValue::Kind::kImageSoftTokens}}));
  const Chunk* shared = plan.find("decoder.1");
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(shared->shared_kv_layers(), (std::vector<int>{0, 1}));
  // Shared layers lost k/v/k_norm: 7 tensors each remain.
  EXPECT_EQ(shared->tensors.size(), 14u);
}

TEST(PassRegistryTest, PlannerCountsOnlyUsedTensors) {
  Model model = testing::sample_release_like();
  auto before = plan_chunks(model.config, model.tensors, ChunkRequest::with_count(2));
  ASSERT_TRUE(before.ok());
  PassContext context;
  context.model = &model;
  ASSERT_TRUE(find_pass("kv-shared-tail-strip")->run(context).ok());
  auto after = plan_chunks(model.config, model.tensors, ChunkRequest::with_count(2));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(before->find("decoder.1")->bytes, after->find("decoder.1")->bytes);
}

TEST(PassRegistryTest, FailingPassNamesItself) {
  Model model = testing::sample_release_like();
  PassContext context;
  context.model = &model;
  context.chunk_request = ChunkRequest::with_count(9);
  auto reports = run_passes(context, {find_pass("chunk-plan")});
  ASSERT_FALSE(reports.ok());
  EXPECT_NE(reports.error().to_string().find("while running pass chunk-plan"), std::string::npos)
      << reports.error().to_string();
}

TEST(PassPipelineTest, RunsDefaultsAndSummarises) {
  Model model = testing::mm_clipscope_like();
  uint64_t used_before = 0;
  for (const TensorInfo& t : model.tensors.tensors()) used_before += t.used ? t.num_bytes : 0;
  PassOptions options;
  options.chunks = "0-1,2-3";
  auto result = run_pass_pipeline(model, nullptr, options);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_EQ(result->reports.size(), 4u);
  EXPECT_EQ(result->bytes_saved, result->reports[0].bytes_saved() + 56u * 2);
  EXPECT_EQ(result->projected_bytes, used_before);  // only unused tensors were removed
  ASSERT_TRUE(result->chunk_plan.has_value());
  EXPECT_EQ(result->chunk_plan->decoder_ranges(), (std::vector<LayerRange>{{0, 2}, {2, 4}}));
  EXPECT_NE(result->to_string().find("projected output size"), std::string::npos);
}

TEST(PassPipelineTest, BadOptionsChangeNothing) {
  Model model = testing::sample_release_like();
  const size_t before = model.tensors.size();
  PassOptions bad_chunks;
  bad_chunks.chunks = "0-1,,2-3";
  EXPECT_FALSE(run_pass_pipeline(model, nullptr, bad_chunks).ok());
  PassOptions bad_pass;
  bad_pass.disable = {"no-such-pass"};
  EXPECT_FALSE(run_pass_pipeline(model, nullptr, bad_pass).ok());
  EXPECT_EQ(model.tensors.size(), before);
}

}  // namespace
}  // namespace hfb
