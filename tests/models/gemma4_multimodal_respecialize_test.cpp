// The Gemma 4 multimodal graph built at one media size and respecialized to another equals the graph built
// at that size directly (fixtures mm and mm-clipscope: pooling kernels 3 and 2, standardize on and off).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "models/gemma4/audio_graph_builder.h"
#include "models/gemma4/multimodal_graph_builder.h"
#include "models/gemma4/vision_graph_builder.h"
#include "models/load_checkpoint.h"

namespace hfb {
namespace {

using InputDims = std::map<std::string, std::vector<int64_t>>;

Model load(const std::string& set) {
  auto model = load_checkpoint(std::string(HFB_FIXTURES_DIR) + "/gemma4/" + set);
  EXPECT_TRUE(model.ok()) << model.error().to_string();
  return std::move(model).value();
}

Graph build(const Model& model, int64_t frames, int64_t patches) {
  MediaDims media;
  media.audio_frames = frames;
  media.image_patches = patches;
  auto graph = build_gemma4_multimodal_graph(model.config, model.tensors, media);
  EXPECT_TRUE(graph.ok()) << graph.error().to_string();
  return std::move(graph).value();
}

// The media input dims of a graph built at (frames, patches).
InputDims media_inputs(const Graph& graph, int64_t frames, int64_t patches) {
  InputDims dims;
  if (frames > 0) {
    dims[kGraphInputFeatures] = {frames, graph.find_value(kGraphInputFeatures)->dims[1]};
    dims[kGraphInputFeaturesMask] = {frames};
  }
  if (patches > 0) {
    dims[kGraphPixelValues] = {patches, graph.find_value(kGraphPixelValues)->dims[1]};
    dims[kGraphImagePositionIds] = {patches, 2};
  }
  return dims;
}

void expect_same_as_direct_build(const Model& model, int64_t frames_a, int64_t patches_a, int64_t frames_b,
                                 int64_t patches_b) {
  Graph a = build(model, frames_a, patches_a);
  Graph direct = build(model, frames_b, patches_b);
  auto re = respecialize(a.data(), media_inputs(a, frames_b, patches_b));
  ASSERT_TRUE(re.ok()) << re.error().to_string();
  ASSERT_EQ(re->nodes().size(), direct.nodes().size());
  for (const Node& node : direct.nodes()) {
    const ValueInfo* ours = re->find_value(node.outputs[0]);
    ASSERT_NE(ours, nullptr) << node.name;
    EXPECT_EQ(ours->dims, direct.find_value(node.outputs[0])->dims) << node.name;
  }
  EXPECT_EQ(re->to_text(), direct.to_text());
  EXPECT_NE(a.to_text(), direct.to_text());  // the sizes did change something
}

TEST(Gemma4MultimodalRespecialize, AudioFramesOfEveryGoldenCase) {
  Model model = load("mm");
  expect_same_as_direct_build(model, 8, 0, 45, 0);
  expect_same_as_direct_build(model, 45, 0, 30, 0);
  Model clip = load("mm-clipscope");
  expect_same_as_direct_build(clip, 8, 0, 34, 0);
}

TEST(Gemma4MultimodalRespecialize, ImagePatchesIncludingPaddedImages) {
  Model model = load("mm");  // kernel 3, standardize
  expect_same_as_direct_build(model, 0, 9, 0, 54);
  expect_same_as_direct_build(model, 0, 54, 0, 36);
  Model clip = load("mm-clipscope");  // kernel 2, no standardize: vision_tower_output is a reshape {0, hidden}
  expect_same_as_direct_build(clip, 0, 4, 0, 24);
  expect_same_as_direct_build(clip, 0, 24, 0, 8);
}

TEST(Gemma4MultimodalRespecialize, BothTowersAtOnce) {
  Model model = load("mm");
  expect_same_as_direct_build(model, 8, 9, 30, 36);
  expect_same_as_direct_build(model, 30, 36, 45, 54);
}

TEST(Gemma4MultimodalRespecialize, VisionKeepsEveryPooledRowWithASoftTokenMask) {
  Model model = load("mm");
  Graph g = build(model, 0, 36);
  const int64_t k = model.config.vision->pooling_kernel_size;
  EXPECT_EQ(g.find_value("vision_pooled")->dims[0], 36 / (k * k));
  EXPECT_EQ(g.find_value("vision_embedded")->dims[0], 36 / (k * k));
  EXPECT_EQ(g.find_value("vision_soft_mask")->dims, (std::vector<int64_t>{36 / (k * k)}));
  bool scatter_reads_mask = false;
  for (const Node& node : g.nodes()) {
    if (node.op == OpType::kScatterTokens) scatter_reads_mask |= node.inputs[3] == "vision_soft_mask";
    if (node.name.rfind("vision", 0) == 0) {
      EXPECT_NE(node.op, OpType::kSlice) << node.name;  // no slice to the N valid tokens
    }
  }
  EXPECT_TRUE(scatter_reads_mask);
}

TEST(Gemma4MultimodalRespecialize, PatchCountsThatDoNotPoolFailNamingTheNode) {
  Model model = load("mm");
  Graph g = build(model, 0, 9);
  auto bad = respecialize(g.data(), media_inputs(g, 0, 10));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("position_pool"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace hfb
