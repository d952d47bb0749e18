// Graph templates: one whole-model graph (no Model, no builder at run time) runs every golden prompt of the
// multimodal fixtures, dropping the towers a prompt has no media for and respecializing the rest.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "models/gemma4/multimodal_graph_builder.h"
#include "models/load_checkpoint.h"
#include "runtime/graph_template.h"
#include "validators/golden.h"

namespace hfb {
namespace {

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

Model load(const std::string& set) {
  auto model = load_checkpoint(kFixtures + set);
  EXPECT_TRUE(model.ok()) << model.error().to_string();
  return std::move(model).value();
}

// The mm graph with both towers at placeholder sizes (8 frames, one pooled image token).
Graph both_towers(const Model& model) {
  MediaDims media;
  media.audio_frames = 8;
  media.image_patches = int64_t{model.config.vision->pooling_kernel_size} * model.config.vision->pooling_kernel_size;
  auto graph = build_gemma4_multimodal_graph(model.config, model.tensors, media);
  EXPECT_TRUE(graph.ok()) << graph.error().to_string();
  return std::move(graph).value();
}

bool has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

double max_abs(const Matrix& a, const Matrix& b) {
  if (a.data.size() != b.data.size()) return 1e30;
  double worst = 0.0;
  for (size_t i = 0; i < a.data.size(); ++i) worst = std::max(worst, std::fabs(double(a.data[i]) - b.data[i]));
  return worst;
}

TEST(GraphTemplate, MediaInputDimsComeFromTheMedia) {
  MediaInputs media;
  EXPECT_TRUE(media_input_dims(media).empty());
  media.pixel_values.rows = 36;
  media.pixel_values.cols = 27;
  media.image_position_ids.assign(72, 0);
  auto dims = media_input_dims(media);
  EXPECT_EQ(dims.size(), 2u);
  EXPECT_EQ(dims["pixel_values"], (std::vector<int64_t>{36, 27}));
  EXPECT_EQ(dims["image_position_ids"], (std::vector<int64_t>{36, 2}));
}

TEST(GraphTemplate, DroppingTheAudioInputsRemovesTheTowerAndKeepsTheMerge) {
  Model model = load("mm");
  Graph whole = both_towers(model);
  auto pruned = drop_graph_inputs(whole.data(), {"input_features", "input_features_mask"});
  ASSERT_TRUE(pruned.ok()) << pruned.error().to_string();
  auto graph = Graph::from_data(*pruned);
  ASSERT_TRUE(graph.ok()) << graph.error().to_string();
  EXPECT_FALSE(has(graph->data().inputs, "input_features"));
  EXPECT_TRUE(has(graph->data().inputs, "pixel_values"));
  EXPECT_FALSE(has(graph->data().taps, "audio_embedded"));
  EXPECT_TRUE(has(graph->data().taps, "vision_embedded"));
  EXPECT_TRUE(has(graph->data().taps, "hidden_states.0"));
  for (const ValueInfo& v : graph->data().values) {
    EXPECT_EQ(v.tensor.find("audio"), std::string::npos) << v.name;  // audio weights went with the tower
  }
  // The audio scatter (writing hidden_states.0) became an identity reshape of the image merge.
  for (const Node& node : graph->nodes()) {
    EXPECT_EQ(node.name.rfind("audio", 0), std::string::npos) << node.name;
    if (node.outputs[0] != "hidden_states.0") continue;
    EXPECT_EQ(node.op, OpType::kReshape);
    EXPECT_EQ(graph->find_value(node.outputs[0])->dims, graph->find_value(node.inputs[0])->dims);
  }
}

TEST(GraphTemplate, DropFailsForNonInputsAndForInputsAnOutputNeeds) {
  Model model = load("mm");
  Graph whole = both_towers(model);
  auto not_input = drop_graph_inputs(whole.data(), {"vision_pooled"});
  ASSERT_FALSE(not_input.ok());
  EXPECT_EQ(not_input.error().code, ErrorCode::kNotFound);
  auto needed = drop_graph_inputs(whole.data(), {"input_ids"});
  ASSERT_FALSE(needed.ok());
  EXPECT_EQ(needed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(needed.error().message.find("'logits'"), std::string::npos) << needed.error().message;
}

TEST(GraphTemplate, MediaForATowerTheGraphLacksIsUnsupported) {
  Model model = load("mm");
  auto text = build_gemma4_multimodal_graph(model.config, model.tensors, MediaDims{});
  ASSERT_TRUE(text.ok());
  MediaInputs media;
  media.input_features.rows = 8;
  media.input_features.cols = 24;
  media.input_features.data.assign(8 * 24, 0.0f);
  media.input_features_mask.assign(8, 1);
  auto graph = specialize_for_media(text->data(), media);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(graph.error().message.find("input_features"), std::string::npos) << graph.error().message;
}

// Every golden case of `set` through one template session, in order and again in reverse (so each media size
// follows another), against the HF prefill logits; text-only cases drop both towers.
void run_every_case(const std::string& set) {
  Model model = load(set);
  Graph whole = both_towers(model);
  auto store = F32WeightStore::create(whole, model.tensors);
  ASSERT_TRUE(store.ok()) << store.error().to_string();
  std::shared_ptr<const WeightStore> weights(std::move(store).value());
  auto session = make_graph_template_session(whole.data(), weights, model.config.text.num_hidden_layers);
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  EXPECT_EQ((*session)->vocab_size(), model.config.text.vocab_size);
  auto golden = load_golden(kFixtures + set);
  ASSERT_TRUE(golden.ok()) << golden.error().to_string();
  std::vector<const GoldenCase*> order;
  for (const GoldenCase& c : golden->cases) order.push_back(&c);
  for (auto it = golden->cases.rbegin(); it != golden->cases.rend(); ++it) order.push_back(&*it);
  int media_cases = 0;
  for (const GoldenCase* c : order) {
    auto logits = (*session)->prefill(c->prompt, c->has_media() ? &c->media : nullptr, nullptr);
    ASSERT_TRUE(logits.ok()) << set << "/" << c->name << ": " << logits.error().to_string();
    EXPECT_LE(max_abs(*logits, c->prefill_logits), 2e-3) << set << "/" << c->name;
    media_cases += c->has_media();
  }
  EXPECT_GE(media_cases, 6) << set;  // audio, image, padded image, audio+image, twice
}

TEST(GraphTemplate, OneGraphRunsEveryGoldenCaseOfFixtureMm) { run_every_case("mm"); }

TEST(GraphTemplate, OneGraphRunsEveryGoldenCaseOfFixtureMmClipscope) { run_every_case("mm-clipscope"); }

TEST(GraphTemplate, PlaceholderMismatchIsStillAnError) {
  Model model = load("mm");
  Graph whole = both_towers(model);
  auto store = F32WeightStore::create(whole, model.tensors);
  ASSERT_TRUE(store.ok());
  auto session = make_graph_template_session(whole.data(), std::shared_ptr<const WeightStore>(std::move(store).value()),
                                             model.config.text.num_hidden_layers);
  ASSERT_TRUE(session.ok());
  auto golden = load_golden(kFixtures + "mm");
  ASSERT_TRUE(golden.ok());
  auto padded = select_golden_cases(*golden, {"mm_image_padded"});
  ASSERT_TRUE(padded.ok());
  const GoldenCase& c = padded->cases[0];
  // One image placeholder too many: the padded image has fewer soft tokens than pooled rows, and the mask
  // keeps the count exact.
  std::vector<int64_t> prompt = c.prompt;
  auto first = std::find(prompt.begin(), prompt.end(), model.config.image_token_id);
  ASSERT_NE(first, prompt.end());
  prompt.insert(first, model.config.image_token_id);
  auto logits = (*session)->prefill(prompt, &c.media, nullptr);
  ASSERT_FALSE(logits.ok());
  EXPECT_EQ(logits.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(logits.error().message.find("placeholder"), std::string::npos) << logits.error().message;
}

}  // namespace
}  // namespace hfb
