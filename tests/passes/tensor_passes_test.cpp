// kv-shared-tail-strip and clip-linear-scoping on fixture-shaped synthetic models: what each
// removes, the bytes saved, idempotence, refusals, and the graph reference check.
#include <gtest/gtest.h>

#include <algorithm>

#include "passes/clip_linear_scoping.h"
#include "passes/kv_shared_tail_strip.h"
#include "tests/passes/synthetic_models.h"

namespace hfb {
namespace {

using testing::make_tensor;
using testing::mm_clipscope_like;
using testing::sample_release_like;

Result<PassReport> run_pass(const Pass& pass, Model* model, Graph* graph = nullptr) {
  PassContext context;
  context.model = model;
  context.graph = graph;
  return pass.run(context);
}

TEST(KvSharedTailStripTest, RemovesSixReleaseExtrasWithBytes) {
  Model model = sample_release_like();
  const size_t before = model.tensors.size();
  auto report = run_pass(KvSharedTailStripPass{}, &model);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->count(PassChange::Kind::kTensorRemoved), 6u);
  // Layer 2 (head_dim 32): k,v [32,64] + k_norm [32]; layer 3 (64): k,v [64,64] + k_norm [64]; BF16.
  EXPECT_EQ(report->bytes_saved(), 2u * (2 * 32 * 64 + 32 + 2 * 64 * 64 + 64));
  EXPECT_EQ(model.tensors.size(), before - 6);
  EXPECT_EQ(model.tensors.find("model.layers.2.self_attn.k_proj.weight"), nullptr);
  EXPECT_EQ(model.tensors.find("model.layers.3.self_attn.k_norm.weight"), nullptr);
  EXPECT_NE(model.tensors.find("model.layers.1.self_attn.k_proj.weight"), nullptr);
  EXPECT_NE(model.tensors.find("model.layers.3.self_attn.q_proj.weight"), nullptr);
  for (const PassChange& c : report->changes) {
    EXPECT_GE(c.layer, 2);
    EXPECT_NE(c.reason.find("reads layer"), std::string::npos);
  }
  EXPECT_NE(report->to_string().find("6 tensors removed"), std::string::npos);
  auto again = run_pass(KvSharedTailStripPass{}, &model);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed());
}

TEST(KvSharedTailStripTest, MatchesRoleTowerAndLayerNotNames) {
  Model model = sample_release_like();
  // A vision-tower K projection at "layer 2" is not a decoder weight, whatever its name says.
  model.tensors.add(make_tensor("model.vision_tower.encoder.layers.2.self_attn.k_proj.weight",
                                Role::kAttnK, Tower::kVision, 2, {36, 36}));
  auto report = run_pass(KvSharedTailStripPass{}, &model);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->count(PassChange::Kind::kTensorRemoved), 6u);
  EXPECT_NE(model.tensors.find("model.vision_tower.encoder.layers.2.self_attn.k_proj.weight"),
            nullptr);
}

TEST(KvSharedTailStripTest, RefusesAUsedSharedLayerWeightAndChangesNothing) {
  Model model = sample_release_like();
  model.tensors.find_mutable("model.layers.3.self_attn.v_proj.weight")->used = true;
  const size_t before = model.tensors.size();
  auto report = run_pass(KvSharedTailStripPass{}, &model);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(report.error().tensor, "model.layers.3.self_attn.v_proj.weight");
  EXPECT_NE(report.error().message.find("KV-shared layer 3 is marked used"), std::string::npos);
  EXPECT_EQ(model.tensors.size(), before);
}

TEST(KvSharedTailStripTest, RefusesWhenTheGraphStillReadsAStrippedTensor) {
  Model model = sample_release_like();
  Graph graph;
  ASSERT_TRUE(graph.add_input("x", DTypeId::kF32, {kSeqDim, 64}).ok());
  const TensorInfo* k = model.tensors.find("model.layers.2.self_attn.k_proj.weight");
  ASSERT_TRUE(graph.add_initializer("w", *k).ok());
  ASSERT_TRUE(graph.add_node(OpType::kLinear, "layers.2.k_proj", {"x", "w"}, {}, "k").ok());
  ASSERT_TRUE(graph.mark_output("k").ok());
  const size_t before = model.tensors.size();
  auto report = run_pass(KvSharedTailStripPass{}, &model, &graph);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message.find("node 'layers.2.k_proj'"), std::string::npos)
      << report.error().message;
  EXPECT_EQ(model.tensors.size(), before);
}

TEST(KvSharedTailStripTest, EliminatesDeadNodesAndInitializers) {
  Model model = sample_release_like();
  Graph graph;
  ASSERT_TRUE(graph.add_input("x", DTypeId::kF32, {kSeqDim, 64}).ok());
  ASSERT_TRUE(graph.add_initializer("gate", *model.tensors.find("model.layers.0.mlp.gate_proj.weight")).ok());
  ASSERT_TRUE(graph.add_initializer("up", *model.tensors.find("model.layers.0.mlp.up_proj.weight")).ok());
  ASSERT_TRUE(graph.add_node(OpType::kLinear, "gate_node", {"x", "gate"}, {}, "g").ok());
  ASSERT_TRUE(graph.add_node(OpType::kLinear, "up_node", {"x", "up"}, {}, "u").ok());
  ASSERT_TRUE(graph.add_node(OpType::kGeluTanh, "dead_act", {"u"}, {}, "dead").ok());
  ASSERT_TRUE(graph.mark_output("g").ok());
  auto report = run_pass(KvSharedTailStripPass{}, &model, &graph);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->count(PassChange::Kind::kNodeRemoved), 2u);
  EXPECT_EQ(report->count(PassChange::Kind::kInitializerRemoved), 1u);
  ASSERT_EQ(graph.nodes().size(), 1u);
  EXPECT_EQ(graph.nodes()[0].name, "gate_node");
  EXPECT_EQ(graph.find_value("up"), nullptr);
  EXPECT_NE(graph.find_value("gate"), nullptr);
}

TEST(ClipLinearScopingTest, DropsVisionBoundsKeepsAudioBounds) {
  Model model = mm_clipscope_like();
  auto report = run_pass(ClipLinearScopingPass{}, &model);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->count(PassChange::Kind::kTensorRemoved), 56u);
  EXPECT_EQ(report->bytes_saved(), 56u * 2);
  for (const PassChange& c : report->changes) {
    EXPECT_EQ(c.tower, Tower::kVision);
    EXPECT_EQ(c.role, Role::kClipBound);
  }
  size_t audio_bounds = 0, vision_bounds = 0;
  for (const TensorInfo& t : model.tensors.tensors()) {
    if (t.role != Role::kClipBound) continue;
    (t.tower == Tower::kAudio ? audio_bounds : vision_bounds)++;
  }
  EXPECT_EQ(audio_bounds, 80u);
  EXPECT_EQ(vision_bounds, 0u);
  auto again = run_pass(ClipLinearScopingPass{}, &model);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed());
}

TEST(ClipLinearScopingTest, TowerFlagsAreIndependent) {
  Model model = mm_clipscope_like();
  model.config.vision->use_clipped_linears = true;  // keep both
  auto report = run_pass(ClipLinearScopingPass{}, &model);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->changed());
  // Audio off: its bounds are marked used by the (synthetic) reader, so the pass refuses.
  model.config.audio->use_clipped_linears = false;
  auto refused = run_pass(ClipLinearScopingPass{}, &model);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("audio use_clipped_linears is false"), std::string::npos);
}

TEST(ClipLinearScopingTest, RefusesBoundsItDoesNotUnderstand) {
  Model model = mm_clipscope_like();
  model.config.vision.reset();
  auto no_tower = run_pass(ClipLinearScopingPass{}, &model);
  ASSERT_FALSE(no_tower.ok());
  EXPECT_EQ(no_tower.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(no_tower.error().message.find("config has no vision tower"), std::string::npos);

  Model text = sample_release_like();
  text.tensors.add(make_tensor("model.layers.0.mlp.up_proj.input_max", Role::kClipBound,
                               Tower::kText, 0, Shape{}));
  auto in_text = run_pass(ClipLinearScopingPass{}, &text);
  ASSERT_FALSE(in_text.ok());
  EXPECT_EQ(in_text.error().code, ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace hfb
