// Golden reading: the real fixtures, and clear errors for missing or malformed golden files.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "validators/golden.h"

namespace hfb {
namespace {

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

TEST(GoldenLoad, ReadsTextFixture) {
  auto g = load_golden(kFixtures + "sample");
  ASSERT_TRUE(g.ok()) << g.error().to_string();
  EXPECT_EQ(g->vocab_size, 512);
  ASSERT_EQ(g->cases.size(), 3u);
  EXPECT_EQ(g->cases[0].name, "case0");
  EXPECT_EQ(g->cases[0].prompt.size(), 2u);
  EXPECT_EQ(g->cases[2].prompt.size(), 21u);
  const GoldenCase& c = g->cases[2];
  EXPECT_EQ(c.steps.size(), 16u);
  EXPECT_EQ(c.prefill_logits.rows, 21);
  EXPECT_EQ(c.step_logits.rows, 16);
  ASSERT_EQ(c.hidden_states.size(), 5u);  // 4 layers: indices 0..4
  EXPECT_EQ(c.hidden_states.at(4).rows, 21);
  EXPECT_EQ(c.hidden_states.at(4).cols, 64);
  EXPECT_FALSE(c.has_media());
  EXPECT_TRUE(g->cases[0].hidden_states.empty());
  // The JSON steps and the tensors agree: top1_logit is the step row's value at top1.
  for (size_t k = 0; k < c.steps.size(); ++k) {
    EXPECT_NEAR(c.step_logits.row(k)[c.steps[k].top1], c.steps[k].top1_logit, 1e-5);
  }
  // Step 0 is the last prefill position.
  EXPECT_NEAR(c.prefill_logits.row(20)[c.steps[0].top1], c.steps[0].top1_logit, 1e-4);
}

TEST(GoldenLoad, ReadsMultimodalInputsAndTaps) {
  auto g = load_golden(kFixtures + "mm");
  ASSERT_TRUE(g.ok()) << g.error().to_string();
  auto select = select_golden_cases(*g, {"mm_audio_image", "mm_audio"});
  ASSERT_TRUE(select.ok());
  ASSERT_EQ(select->cases.size(), 2u);
  const GoldenCase& both = select->cases[0];
  EXPECT_EQ(both.name, "mm_audio_image");
  EXPECT_EQ(both.media_kind, "audio+image");
  EXPECT_EQ(both.media.input_features.rows, 30);
  EXPECT_EQ(both.media.input_features.cols, 24);
  EXPECT_EQ(both.media.input_features_mask.size(), 30u);
  EXPECT_EQ(both.media.pixel_values.rows, 36);
  EXPECT_EQ(both.media.pixel_values.cols, 27);
  EXPECT_EQ(both.media.image_position_ids.size(), 72u);
  EXPECT_EQ(both.taps.at("vision_tower_output").cols, 48);
  EXPECT_EQ(both.taps.at("audio_output_mask").rows, 8);
  const GoldenCase& audio = select->cases[1];
  EXPECT_EQ(audio.taps.count("audio_layer_output.2"), 1u);
  EXPECT_TRUE(audio.media.pixel_values.data.empty());
}

TEST(GoldenLoad, ReadsRouterIdsAndExpertCounts) {
  auto g = load_golden(kFixtures + "moe");
  ASSERT_TRUE(g.ok()) << g.error().to_string();
  ASSERT_EQ(g->moe_expert_counts.size(), 5u);
  for (const GoldenCase& c : g->cases) {
    SCOPED_TRACE(c.name);
    const int64_t positions = static_cast<int64_t>(c.prompt.size() + c.greedy.size()) - 1;
    ASSERT_EQ(c.moe_expert_counts.size(), 5u);
    for (int layer = 0; layer < 5; ++layer) {
      auto ids = c.id_tensors.find("router_topk_ids." + std::to_string(layer));
      ASSERT_NE(ids, c.id_tensors.end());
      EXPECT_EQ(ids->second.rows, positions);
      EXPECT_EQ(ids->second.cols, 2);
      int64_t selections = 0;
      for (int64_t n : c.moe_expert_counts[layer]) selections += n;
      EXPECT_EQ(selections, 2 * positions);  // every processed token picks top_k = 2 experts
      EXPECT_TRUE(c.taps.count("router_topk_weights." + std::to_string(layer)));
    }
  }
}

TEST(GoldenLoad, ReadsTokenTypesOfImageCases) {
  auto g = load_golden(kFixtures + "vl-bidir");
  ASSERT_TRUE(g.ok()) << g.error().to_string();
  int with_types = 0;
  for (const GoldenCase& c : g->cases) {
    auto types = c.id_tensors.find("mm_token_type_ids");
    if (types == c.id_tensors.end()) continue;
    ++with_types;
    EXPECT_EQ(types->second.rows, static_cast<int64_t>(c.prompt.size()));
  }
  EXPECT_EQ(with_types, 4);
}

TEST(GoldenLoad, MissingDirectoryNamesTheFile) {
  auto g = load_golden(kFixtures + "no-such-golden");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, ErrorCode::kNotFound);
  EXPECT_NE(g.error().path.find("golden.json"), std::string::npos);
}

// --- malformed goldens, built in memory -------------------------------------------------------

TensorInfo make_tensor(const std::string& name, DType dtype, Shape shape, const void* data, size_t bytes) {
  std::vector<uint8_t> buffer(bytes);
  std::memcpy(buffer.data(), data, bytes);
  TensorInfo t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.source = std::make_shared<MemorySource>(std::move(buffer));
  t.num_bytes = bytes;
  return t;
}

TensorInfo f32(const std::string& name, int64_t rows, int64_t cols, float fill = 0.5f) {
  std::vector<float> v(rows * cols, fill);
  return make_tensor(name, DTypeId::kF32, Shape{rows, cols}, v.data(), v.size() * 4);
}

TensorInfo i64(const std::string& name, const std::vector<int64_t>& v) {
  return make_tensor(name, DTypeId::kI64, Shape{static_cast<int64_t>(v.size())}, v.data(), v.size() * 8);
}

const char* kJson = R"({"format": "hf-gemma4-golden/1", "cases": [{"name": "x", "prompt": [2, 7], "greedy": [3],
  "steps": [{"token": 3, "top1": 3, "top2": 1, "top1_logit": 1.0, "top2_logit": 0.5, "margin": 0.5}]}]})";

std::vector<TensorInfo> good_tensors() {
  return {i64("x.prompt_ids", {2, 7}), i64("x.greedy_ids", {3}), f32("x.prefill_logits", 2, 4),
          f32("x.step_logits", 1, 4)};
}

TEST(GoldenParse, WellFormedInMemory) {
  auto g = parse_golden(kJson, good_tensors(), "mem");
  ASSERT_TRUE(g.ok()) << g.error().to_string();
  EXPECT_EQ(g->vocab_size, 4);
  EXPECT_DOUBLE_EQ(g->cases[0].steps[0].margin, 0.5);
}

TEST(GoldenParse, JsonErrorsNameFileAndKey) {
  struct Bad {
    std::string json;
    ErrorCode code;
    std::string key;
  };
  const std::vector<Bad> bad = {
      {"{not json", ErrorCode::kInvalidFile, "JSON"},
      {R"({"format": "hf-gemma4-golden/1"})", ErrorCode::kNotFound, "'cases'"},
      {R"({"format": "other/2", "cases": []})", ErrorCode::kUnsupported, "'format'"},
      {R"({"format": "hf-gemma4-golden/1", "cases": [{"name": "x", "prompt": [2], "greedy": [3],
          "steps": [{"token": 3, "top1": 3, "top2": 1, "top1_logit": 1.0, "top2_logit": 0.5}]}]})",
       ErrorCode::kNotFound, "'cases[0].steps[0].margin'"},
      {R"({"format": "hf-gemma4-golden/1", "cases": [{"name": "x", "prompt": "2,7", "greedy": [], "steps": []}]})",
       ErrorCode::kInvalidFile, "'cases[0].prompt'"},
      {R"({"format": "hf-gemma4-golden/1", "cases": [{"name": "x", "prompt": [2], "greedy": [3], "steps": []}]})",
       ErrorCode::kInvalidFile, "'cases[0].steps'"},
  };
  for (const Bad& b : bad) {
    auto g = parse_golden(b.json, good_tensors(), "dir");
    ASSERT_FALSE(g.ok()) << b.json;
    EXPECT_EQ(g.error().code, b.code) << g.error().to_string();
    EXPECT_EQ(g.error().path, "dir/golden.json");
    EXPECT_NE(g.error().to_string().find(b.key), std::string::npos) << g.error().to_string();
  }
}

TEST(GoldenParse, TensorErrorsNameFileAndTensor) {
  auto missing = good_tensors();
  missing.pop_back();
  auto g = parse_golden(kJson, missing, "dir");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(g.error().tensor, "x.step_logits");
  EXPECT_EQ(g.error().path, "dir/golden_tensors.safetensors");

  auto wrong_prompt = good_tensors();
  wrong_prompt[0] = i64("x.prompt_ids", {2, 8});
  g = parse_golden(kJson, wrong_prompt, "dir");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, ErrorCode::kInvalidFile);
  EXPECT_EQ(g.error().tensor, "x.prompt_ids");

  auto wrong_shape = good_tensors();
  wrong_shape[2] = f32("x.prefill_logits", 3, 4);
  g = parse_golden(kJson, wrong_shape, "dir");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().tensor, "x.prefill_logits");

  auto wrong_vocab = good_tensors();
  wrong_vocab[3] = f32("x.step_logits", 1, 5);
  EXPECT_FALSE(parse_golden(kJson, wrong_vocab, "dir").ok());

  auto wrong_dtype = good_tensors();
  wrong_dtype[1] = f32("x.greedy_ids", 1, 1);
  g = parse_golden(kJson, wrong_dtype, "dir");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().tensor, "x.greedy_ids");
}

TEST(GoldenSelect, UnknownOrRepeatedCaseIsAnError) {
  auto g = parse_golden(kJson, good_tensors(), "dir");
  ASSERT_TRUE(g.ok());
  auto unknown = select_golden_cases(*g, {"y"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("x"), std::string::npos);  // lists the known cases
  EXPECT_FALSE(select_golden_cases(*g, {"x", "x"}).ok());
  EXPECT_EQ(select_golden_cases(*g, {}).value().cases.size(), 1u);
}

}  // namespace
}  // namespace hfb
