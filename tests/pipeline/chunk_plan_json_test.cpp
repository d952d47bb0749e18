// chunk_plan_to_json: valid JSON carrying every chunk's kind, layers, bytes, tensors and boundary values.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pipeline/chunk_plan_json.h"
#include "tests/passes/synthetic_models.h"

namespace hfb {
namespace {

TEST(ChunkPlanJson, CarriesEveryChunk) {
  Model model = testing::mm_clipscope_like();
  ChunkRequest request = ChunkRequest::with_count(2);
  request.embedders_in_towers = true;
  auto plan = plan_chunks(model.config, model.tensors, request);
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  const nlohmann::json j = nlohmann::json::parse(chunk_plan_to_json(*plan));
  EXPECT_EQ(j["num_layers"], 4);
  EXPECT_EQ(j["kv_boundary"], 2);
  ASSERT_EQ(j["chunks"].size(), plan->chunks.size());
  std::vector<std::string> names;
  for (const auto& c : j["chunks"]) names.push_back(c["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"audio", "vision", "embeddings", "decoder.0", "decoder.1", "head"}));
  const auto& shared = j["chunks"][4];
  EXPECT_EQ(shared["kind"], "decoder");
  EXPECT_EQ(shared["layers"], nlohmann::json::array({2, 4}));
  EXPECT_EQ(shared["bytes"], plan->chunks[4].bytes);
  EXPECT_EQ(shared["inputs"], nlohmann::json::array({"hidden_state", "positions", "ple[2:4]", "kv.0", "kv.1"}));
  EXPECT_TRUE(j["chunks"][0]["layers"].is_null());
  EXPECT_EQ(j["chunks"][0]["outputs"], nlohmann::json::array({"audio_soft_tokens"}));
  EXPECT_EQ(j["chunks"][5]["borrowed"], nlohmann::json::array({"model.embed_tokens.weight"}));
  EXPECT_EQ(j["chunks"][2]["tensors"].size(), plan->chunks[2].tensors.size());
  const nlohmann::json slim = nlohmann::json::parse(chunk_plan_to_json(*plan, /*with_tensors=*/false));
  EXPECT_FALSE(slim["chunks"][0].contains("tensors"));
}

TEST(ChunkPlanJson, UnfusedTowersHandOverTheirRawOutput) {
  Model model = testing::mm_clipscope_like();
  auto plan = plan_chunks(model.config, model.tensors, ChunkRequest::with_count(2));
  ASSERT_TRUE(plan.ok());
  const nlohmann::json j = nlohmann::json::parse(chunk_plan_to_json(*plan));
  EXPECT_EQ(j["chunks"][0]["outputs"], nlohmann::json::array({"audio_tower_output"}));
  EXPECT_EQ(j["chunks"][1]["outputs"], nlohmann::json::array({"image_tower_output"}));
  EXPECT_EQ(j["chunks"][2]["inputs"],
            nlohmann::json::array({"input_ids", "audio_tower_output", "image_tower_output"}));
  // The embedder projections sit with the embeddings piece until embed-proj-fusion moves them.
  const auto& tensors = j["chunks"][2]["tensors"];
  EXPECT_NE(std::find(tensors.begin(), tensors.end(), "model.embed_audio.embedding_projection.weight"),
            tensors.end());
}

}  // namespace
}  // namespace hfb
