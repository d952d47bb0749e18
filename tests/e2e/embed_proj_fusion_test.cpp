// embed-proj-fusion on the mm fixture graph: the embedder projections (non-square: [112, 72] audio,
// [112, 48] vision) and their nodes move into the tower chunks, which then hand text-hidden-size soft
// tokens to the embeddings piece; parity is unchanged; running the chunks in sequence gives the whole
// graph's logits; a second run changes nothing; graphs it does not understand are refused.
#include <gtest/gtest.h>

#include <algorithm>

#include "models/load_checkpoint.h"
#include "passes/chunk_partition.h"
#include "passes/embed_proj_fusion.h"
#include "runtime/chunk_sequence.h"
#include "tests/e2e/pass_parity.h"

namespace hfb {
namespace {

const std::string kMm = std::string(HFB_FIXTURES_DIR) + "/gemma4/mm";
constexpr const char* kAudioProjection = "model.embed_audio.embedding_projection.weight";
constexpr const char* kVisionProjection = "model.embed_vision.embedding_projection.weight";

struct MmSetup {
  Model model;
  Golden golden;
  const GoldenCase* both = nullptr;  ///< the audio + image case
  Graph graph;
};

MmSetup load_mm() {
  MmSetup s;
  auto model = load_checkpoint(kMm);
  auto golden = load_golden(kMm);
  EXPECT_TRUE(model.ok() && golden.ok());
  if (!model.ok() || !golden.ok()) return s;
  s.model = std::move(*model);
  s.golden = std::move(*golden);
  for (const GoldenCase& c : s.golden.cases) {
    if (c.name == "mm_audio_image") s.both = &c;
  }
  EXPECT_NE(s.both, nullptr);
  if (!s.both) return s;
  const MediaDims dims = media_dims(s.both->media, s.model.config.vision->pooling_kernel_size);
  auto graph = build_gemma4_multimodal_graph(s.model.config, s.model.tensors, dims);
  EXPECT_TRUE(graph.ok()) << graph.error().to_string();
  if (graph.ok()) s.graph = std::move(*graph);
  return s;
}

const ChunkGraph* chunk_with_node(const std::vector<ChunkGraph>& chunks, const std::string& node) {
  for (const ChunkGraph& c : chunks) {
    for (const Node& n : c.data.nodes) {
      if (n.name == node) return &c;
    }
  }
  return nullptr;
}

const ChunkGraph& chunk_named(const std::vector<ChunkGraph>& chunks, const std::string& name) {
  return *std::find_if(chunks.begin(), chunks.end(), [&](const ChunkGraph& c) { return c.chunk == name; });
}

bool has(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

std::vector<ChunkGraph> partition(const MmSetup& s, const ChunkRequest& request, ChunkPlan* plan_out = nullptr) {
  auto plan = plan_chunks(s.model.config, s.model.tensors, request);
  EXPECT_TRUE(plan.ok()) << plan.error().to_string();
  if (!plan.ok()) return {};
  auto chunks = partition_graph(s.graph, *plan);
  EXPECT_TRUE(chunks.ok()) << chunks.error().to_string();
  if (!chunks.ok()) return {};
  Status check = check_partition(s.graph, *chunks);
  EXPECT_TRUE(check.ok()) << check.error().to_string();
  if (plan_out) *plan_out = *plan;
  return std::move(*chunks);
}

TEST(EmbedProjFusion, MovesTheEmbeddersIntoTheTowerChunks) {
  MmSetup s = load_mm();
  ASSERT_NE(s.both, nullptr);
  const int64_t text_hidden = s.model.config.text.hidden_size;
  ASSERT_EQ(text_hidden, 112);  // non-square projections: 112 x 72 (audio), 112 x 48 (vision)
  ASSERT_EQ(s.model.config.audio->output_proj_dims, 72);
  ASSERT_EQ(s.model.config.vision->hidden_size, 48);

  // Before: the embedder runs in the embeddings piece; the audio chunk hands over 72-wide values.
  ChunkPlan before_plan;
  std::vector<ChunkGraph> before = partition(s, ChunkRequest::automatic(), &before_plan);
  ASSERT_FALSE(before.empty());
  EXPECT_TRUE(has(before_plan.find("embeddings")->tensors, kAudioProjection));
  EXPECT_EQ(before_plan.find("audio")->outputs[0].name(), "audio_tower_output");
  EXPECT_EQ(chunk_with_node(before, "audio_embedded")->chunk, "embeddings");
  EXPECT_EQ(chunk_with_node(before, "vision_embedded")->chunk, "embeddings");
  EXPECT_EQ(chunk_with_node(before, "audio.output_proj")->chunk, "audio");
  EXPECT_TRUE(has(chunk_named(before, "embeddings").inputs, "audio.embed_norm"));
  EXPECT_EQ(s.graph.find_value("audio.embed_norm")->dims.back(), 72);

  const std::string graph_before = s.graph.to_text();
  PassContext context;
  context.model = &s.model;
  context.graph = &s.graph;
  const EmbedProjFusionPass pass;
  auto report = pass.run(context);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->count(PassChange::Kind::kTensorMoved), 2u);
  EXPECT_EQ(report->count(PassChange::Kind::kNodeMoved), 2u);
  std::vector<std::string> moved;
  for (const PassChange& c : report->changes) moved.push_back(c.name);
  EXPECT_EQ(moved, (std::vector<std::string>{kAudioProjection, "audio_embedded", kVisionProjection, "vision_embedded"}));
  const std::string text = report->to_string();
  EXPECT_NE(text.find("rms_norm 'audio.embed_norm' (weightless"), std::string::npos) << text;
  EXPECT_NE(text.find("no fold across it"), std::string::npos) << text;
  EXPECT_EQ(s.graph.to_text(), graph_before);  // nothing folded: the graph computes exactly as before
  ASSERT_TRUE(context.chunk_request.embedders_in_towers);

  // After: the towers own and compute their embedders and emit [N, 112] soft tokens.
  ChunkPlan after_plan;
  std::vector<ChunkGraph> after = partition(s, context.chunk_request, &after_plan);
  ASSERT_FALSE(after.empty());
  EXPECT_TRUE(has(after_plan.find("audio")->tensors, kAudioProjection));
  EXPECT_FALSE(has(after_plan.find("embeddings")->tensors, kAudioProjection));
  EXPECT_EQ(after_plan.find("audio")->bytes,
            before_plan.find("audio")->bytes + s.model.tensors.find(kAudioProjection)->num_bytes);
  EXPECT_EQ(after_plan.find("audio")->outputs[0].name(), "audio_soft_tokens");
  EXPECT_EQ(after_plan.find("vision")->outputs[0].name(), "image_soft_tokens");
  for (const char* node : {"audio.output_proj", "audio_tower_output", "audio.embed_norm", "audio_embedded"}) {
    EXPECT_EQ(chunk_with_node(after, node)->chunk, "audio") << node;
  }
  for (const char* node : {"vision_tower_output", "vision.embed_norm", "vision_embedded"}) {
    EXPECT_EQ(chunk_with_node(after, node)->chunk, "vision") << node;
  }
  const ChunkGraph& embeddings = chunk_named(after, "embeddings");
  EXPECT_TRUE(has(embeddings.inputs, "audio_embedded"));
  EXPECT_TRUE(has(embeddings.inputs, "vision_embedded"));
  EXPECT_FALSE(has(embeddings.inputs, "audio.embed_norm"));
  EXPECT_FALSE(has(embeddings.inputs, "vision.embed_norm"));
  EXPECT_EQ(s.graph.find_value("audio_embedded")->dims.back(), text_hidden);
  EXPECT_EQ(s.graph.find_value("vision_embedded")->dims.back(), text_hidden);

  // Idempotent: a second run changes nothing.
  auto again = pass.run(context);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed());
}

TEST(EmbedProjFusion, FusedChunksInSequenceGiveTheWholeGraphsLogits) {
  MmSetup s = load_mm();
  ASSERT_NE(s.both, nullptr);
  ChunkRequest request = ChunkRequest::with_count(2);
  request.embedders_in_towers = true;
  std::vector<ChunkGraph> chunks = partition(s, request);
  ASSERT_FALSE(chunks.empty());
  auto store = F32WeightStore::create(s.graph, s.model.tensors);
  ASSERT_TRUE(store.ok());
  std::shared_ptr<const WeightStore> weights(std::move(*store));
  auto whole = GraphInterpreter::create(s.graph, weights);
  ASSERT_TRUE(whole.ok());
  ASSERT_TRUE((*whole)->set_media(s.both->media).ok());
  ASSERT_TRUE((*whole)->run(s.both->prompt).ok());
  auto expected = (*whole)->read(kGraphLogits);
  ASSERT_TRUE(expected.ok());
  auto runner = ChunkSequence::create(chunks, weights);
  ASSERT_TRUE(runner.ok()) << runner.error().to_string();
  EXPECT_EQ((*runner)->names(), (std::vector<std::string>{"audio", "vision", "embeddings", "decoder.0", "decoder.1",
                                                       "head"}));
  ASSERT_TRUE((*runner)->step(s.both->prompt, &s.both->media).ok());
  auto got = (*runner)->value(kGraphLogits);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(got->data, expected->data);
  // The audio chunk handed over text-hidden-size soft tokens.
  EXPECT_EQ((*runner)->values().at("audio_embedded").cols, s.model.config.text.hidden_size);
  EXPECT_EQ((*runner)->last_run(), (*runner)->names());
  // Decode steps skip the tower chunks (media only: their soft tokens stand) and still match the whole graph,
  // which recomputes the towers every step.
  for (int64_t id : {17, 300}) {
    ASSERT_TRUE((*whole)->run({id}).ok());
    auto step_expected = (*whole)->read(kGraphLogits);
    ASSERT_TRUE((*runner)->step({id}, nullptr).ok());
    auto step_got = (*runner)->value(kGraphLogits);
    ASSERT_TRUE(step_expected.ok() && step_got.ok());
    EXPECT_EQ(step_got->data, step_expected->data) << "decode " << id;
    EXPECT_EQ((*runner)->last_run(), (std::vector<std::string>{"embeddings", "decoder.0", "decoder.1", "head"}));
  }
  // After reset() the towers run again even without new media (their outputs are gone).
  (*runner)->reset();
  ASSERT_TRUE((*runner)->step(s.both->prompt, &s.both->media).ok());
  EXPECT_EQ((*runner)->last_run(), (*runner)->names());
}

TEST(EmbedProjFusion, ParityUnchanged) {
  MmSetup s = load_mm();
  const test::ParitySummary baseline = test::verify_rewritten(s.model, s.golden, test::identity_rewrite());
  ASSERT_TRUE(baseline.ok && baseline.pass);
  static const EmbedProjFusionPass kPass;
  const test::ParitySummary after = test::verify_rewritten(s.model, s.golden, test::passes_rewrite(s.model, {&kPass}));
  EXPECT_TRUE(after.pass);
  EXPECT_EQ(after.statuses, baseline.statuses);
  EXPECT_EQ(after.max_abs, baseline.max_abs);
}

TEST(EmbedProjFusion, RefusesWhatItDoesNotUnderstand) {
  MmSetup s = load_mm();
  ASSERT_NE(s.both, nullptr);
  const EmbedProjFusionPass pass;
  // A layer_norm (mean-subtracting) where the weightless rms_norm should be.
  GraphData data = s.graph.data();
  for (Node& node : data.nodes) {
    if (node.name == "audio.embed_norm") node.op = OpType::kLayerNorm;
  }
  auto odd = Graph::from_data(data);
  ASSERT_TRUE(odd.ok()) << odd.error().to_string();
  PassContext context;
  context.model = &s.model;
  context.graph = &*odd;
  auto refused = pass.run(context);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("not fed by a weightless rms_norm"), std::string::npos);
  EXPECT_FALSE(context.chunk_request.embedders_in_towers);  // nothing changed
  // A projection that does not map the tower width to the text hidden size.
  Model wrong = s.model;
  wrong.tensors.find_mutable(kVisionProjection)->shape = Shape{112, 72};
  PassContext tensors_only;
  tensors_only.model = &wrong;
  auto bad_shape = pass.run(tensors_only);
  ASSERT_FALSE(bad_shape.ok());
  EXPECT_NE(bad_shape.error().to_string().find("expected [112, 48]"), std::string::npos)
      << bad_shape.error().to_string();
}

}  // namespace
}  // namespace hfb
