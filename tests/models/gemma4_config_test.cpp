// Gemma 4 config.json resolution: both formats agree on every fixture, hand-checked values, error messages.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "models/gemma4/gemma4_config.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kGemma4Dir = fs::path(HFB_FIXTURES_DIR) / "gemma4";

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kGemma4Dir)) {
    if (fs::exists(entry.path() / "config.json")) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

ModelConfig load(const std::string& fixture, const std::string& file = "config.json") {
  auto config = read_gemma4_config((kGemma4Dir / fixture / file).string());
  EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.error().to_string());
  return config.ok() ? config.value() : ModelConfig{};
}

json load_json(const std::string& fixture, const std::string& file = "config.json") {
  std::ifstream in(kGemma4Dir / fixture / file);
  return json::parse(in);
}

Result<ModelConfig> parse(const json& doc, std::vector<Diagnostic>* diagnostics = nullptr) {
  return parse_gemma4_config(doc.dump(), "config.json", diagnostics);
}

void expect_error(const json& doc, ErrorCode code, const std::string& fragment) {
  auto c = parse(doc);
  ASSERT_FALSE(c.ok()) << "expected failure containing: " << fragment;
  EXPECT_EQ(c.error().code, code) << c.error().to_string();
  const std::string text = c.error().to_string();
  EXPECT_NE(text.find("config.json"), std::string::npos) << text;
  EXPECT_NE(text.find(fragment), std::string::npos) << text;
}

TEST(Gemma4Config, EveryFixtureParsesIdenticallyInBothFormats) {
  const auto names = fixture_names();
  ASSERT_GE(names.size(), 10u);
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const ModelConfig current = load(name, "config.json");
    const ModelConfig release = load(name, "config.release_format.json");
    EXPECT_FALSE(current.text.layers.empty());
    EXPECT_EQ(current.text.layers, release.text.layers);
    EXPECT_TRUE(current == release);
  }
}

TEST(Gemma4Config, SampleReleaseHfHeadFormatMatches) {
  const ModelConfig release = load("sample-release", "config.json");
  const ModelConfig head = load("sample-release", "config.hf_head_format.json");
  EXPECT_EQ(release.text.layers, head.text.layers);
  EXPECT_TRUE(release == head);
  EXPECT_TRUE(release == load("sample"));  // same model, other tensor layout
}

TEST(Gemma4Config, SampleHandChecked) {
  const ModelConfig c = load("sample");
  EXPECT_EQ(c.architecture, "Gemma4ForCausalLM");
  EXPECT_EQ(c.model_type, "gemma4_text");
  EXPECT_FALSE(c.audio.has_value());
  EXPECT_FALSE(c.vision.has_value());
  EXPECT_EQ(c.text.num_hidden_layers, 4);
  EXPECT_EQ(c.text.hidden_size, 64);
  EXPECT_EQ(c.text.vocab_size, 512);
  EXPECT_EQ(c.text.hidden_size_per_layer_input, 16);
  EXPECT_EQ(c.text.sliding_window, 8);
  EXPECT_EQ(c.text.final_logit_softcapping, 30.0);
  ASSERT_EQ(c.text.layers.size(), 4u);
  const auto& l = c.text.layers;
  EXPECT_EQ(l[0].attention, AttentionType::kSliding);
  EXPECT_EQ(l[0].head_dim, 32);
  EXPECT_EQ(l[1].attention, AttentionType::kFull);
  EXPECT_EQ(l[1].head_dim, 64);
  EXPECT_EQ(l[1].num_kv_heads, 1);
  EXPECT_EQ(l[1].num_heads, 2);
  EXPECT_EQ(l[0].kv_shared_from, -1);
  EXPECT_EQ(l[1].kv_shared_from, -1);
  EXPECT_EQ(l[2].kv_shared_from, 0);
  EXPECT_EQ(l[3].kv_shared_from, 1);
  for (const auto& spec : l) {
    EXPECT_EQ(spec.intermediate_size, 192);
    EXPECT_FALSE(spec.k_eq_v);
  }
  EXPECT_EQ(l[0].rope.type, RopeType::kDefault);
  EXPECT_EQ(l[0].rope.theta, 10000.0);
  EXPECT_EQ(l[0].rope.partial_rotary_factor, 1.0);
  EXPECT_EQ(l[1].rope.type, RopeType::kProportional);
  EXPECT_EQ(l[1].rope.theta, 1000000.0);
  EXPECT_EQ(l[1].rope.partial_rotary_factor, 0.25);
  EXPECT_EQ(c.generation.bos_token_id, 2);
  EXPECT_EQ(c.generation.eos_token_ids, std::vector<int>{1});
  EXPECT_EQ(c.image_token_id, -1);
}

TEST(Gemma4Config, TextKeqvHandChecked) {
  const ModelConfig c = load("text-kveqv");
  const auto& l = c.text.layers;
  ASSERT_EQ(l.size(), 7u);
  for (int i : {1, 4, 6}) {
    EXPECT_EQ(l[i].attention, AttentionType::kFull) << i;
    EXPECT_TRUE(l[i].k_eq_v) << i;
    EXPECT_EQ(l[i].num_kv_heads, 1) << i;
    EXPECT_EQ(l[i].head_dim, 56) << i;
  }
  for (int i : {0, 2, 3, 5}) {
    EXPECT_FALSE(l[i].k_eq_v) << i;
    EXPECT_EQ(l[i].num_kv_heads, 2) << i;
    EXPECT_EQ(l[i].head_dim, 20) << i;
  }
  // num_kv_shared_layers 3: layers 4..6 share; sources are the last non-shared layer of their type.
  EXPECT_EQ(l[3].kv_shared_from, -1);
  EXPECT_EQ(l[4].kv_shared_from, 1);
  EXPECT_EQ(l[5].kv_shared_from, 3);
  EXPECT_EQ(l[6].kv_shared_from, 1);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(l[i].intermediate_size, 112) << i;
  for (int i = 4; i < 7; ++i) EXPECT_EQ(l[i].intermediate_size, 224) << i;  // use_double_wide_mlp
}

TEST(Gemma4Config, MultimodalClipscopeHandChecked) {
  const ModelConfig c = load("mm-clipscope");
  EXPECT_EQ(c.architecture, "Gemma4ForConditionalGeneration");
  EXPECT_EQ(c.model_type, "gemma4");
  EXPECT_EQ(c.image_token_id, 562);
  EXPECT_EQ(c.video_token_id, 563);
  EXPECT_EQ(c.audio_token_id, 566);
  EXPECT_EQ(c.text.hidden_size, 72);
  ASSERT_EQ(c.text.layers.size(), 5u);
  EXPECT_EQ(c.text.layers[2].attention, AttentionType::kFull);
  EXPECT_EQ(c.text.layers[2].head_dim, 48);
  EXPECT_EQ(c.text.layers[3].kv_shared_from, 1);
  EXPECT_EQ(c.text.layers[4].kv_shared_from, 2);
  ASSERT_TRUE(c.audio.has_value());
  EXPECT_EQ(c.audio->hidden_size, 36);
  EXPECT_EQ(c.audio->subsampling_conv_channels, (std::vector<int>{12, 6}));
  EXPECT_EQ(c.audio->attention_chunk_size, 3);
  EXPECT_EQ(c.audio->attention_context_left, 4);
  EXPECT_EQ(c.audio->output_proj_dims, 52);
  EXPECT_TRUE(c.audio->use_clipped_linears);
  EXPECT_EQ(c.audio->hidden_act, "silu");
  ASSERT_TRUE(c.vision.has_value());
  EXPECT_EQ(c.vision->hidden_size, 36);
  EXPECT_EQ(c.vision->head_dim, 12);
  EXPECT_EQ(c.vision->patch_size, 2);
  EXPECT_EQ(c.vision->position_embedding_size, 16);
  EXPECT_EQ(c.vision->rope_theta, 100.0);
  EXPECT_FALSE(c.vision->use_clipped_linears);
  EXPECT_FALSE(c.vision->standardize);
  EXPECT_TRUE(load("mm").vision->standardize);
}

TEST(Gemma4Config, ZeroPaddedPerLayerKeys) {
  // HF's to_dict zero-pads the keys when a model has 10+ layers ("03"); the index is what counts.
  json doc = load_json("sample");
  doc["per_layer_config"] = {{"01", {{"head_dim", 64}}}, {"03", {{"head_dim", 64}}}};
  auto c = parse(doc);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_TRUE(*c == load("sample"));
  doc["per_layer_config"] = {{"x1", {{"head_dim", 64}}}};
  expect_error(doc, ErrorCode::kInvalidFile, "key 'x1' is not a layer index");
}

TEST(Gemma4Config, ReleaseFormatDefaultsFollowHf) {
  json doc = load_json("text-kveqv", "config.release_format.json");
  // num_global_key_value_heads is ignored without attention_k_eq_v.
  doc["attention_k_eq_v"] = false;
  auto c = parse(doc);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->text.layers[1].num_kv_heads, 2);
  EXPECT_FALSE(c->text.layers[1].k_eq_v);
  // global_head_dim absent: HF's default 512.
  doc.erase("global_head_dim");
  c = parse(doc);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->text.layers[1].head_dim, 512);
  EXPECT_EQ(c->text.layers[0].head_dim, 20);
}

TEST(Gemma4Config, AbsentOptionalKeysTakeHfDefaults) {
  json doc = load_json("sample");
  for (const char* key : {"layer_types", "rope_parameters", "sliding_window", "final_logit_softcapping",
                          "bos_token_id", "eos_token_id", "num_kv_shared_layers"}) {
    doc.erase(key);
  }
  doc["num_hidden_layers"] = 12;
  doc["per_layer_config"] = {{"5", {{"head_dim", 64}}}, {"11", {{"head_dim", 64}}}};
  auto c = parse(doc);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->text.sliding_window, 512);
  EXPECT_EQ(c->text.final_logit_softcapping, 0.0);
  EXPECT_EQ(c->generation.eos_token_ids, std::vector<int>{1});
  for (const auto& spec : c->text.layers) {
    const bool full = (spec.index + 1) % 6 == 0;
    EXPECT_EQ(spec.attention, full ? AttentionType::kFull : AttentionType::kSliding) << spec.index;
    EXPECT_EQ(spec.kv_shared_from, -1);
    EXPECT_EQ(spec.head_dim, full ? 64 : 32);
    EXPECT_EQ(spec.rope.type, full ? RopeType::kProportional : RopeType::kDefault);
  }
}

TEST(Gemma4Config, LastLayerForcedFullWithWarning) {
  json doc = load_json("sample");
  doc["layer_types"][3] = "sliding_attention";
  doc["num_kv_shared_layers"] = 0;
  std::vector<Diagnostic> diagnostics;
  auto c = parse(doc, &diagnostics);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->text.layers[3].attention, AttentionType::kFull);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_NE(diagnostics[0].message.find("layer_types"), std::string::npos);
}

TEST(Gemma4Config, GenerationConfig) {
  GenerationConfig g;
  ASSERT_TRUE(parse_generation_config(R"({"bos_token_id": 5, "eos_token_id": [1, 106], "pad_token_id": 3})",
                                      "generation_config.json", &g)
                  .ok());
  EXPECT_EQ(g.bos_token_id, 5);
  EXPECT_EQ(g.eos_token_ids, (std::vector<int>{1, 106}));
  EXPECT_EQ(g.pad_token_id, 3);
  ASSERT_TRUE(parse_generation_config(R"({"eos_token_id": 7, "pad_token_id": null})", "g.json", &g).ok());
  EXPECT_EQ(g.eos_token_ids, std::vector<int>{7});
  EXPECT_EQ(g.pad_token_id, 3);
  Status bad = parse_generation_config(R"({"eos_token_id": "x"})", "generation_config.json", &g);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidFile);
  EXPECT_NE(bad.error().to_string().find("generation_config.json: key 'eos_token_id'"), std::string::npos);
}


TEST(Gemma4Config, LargeFamilyTraitsHandChecked) {
  const ModelConfig moe = load("moe");
  EXPECT_TRUE(moe.text.enable_moe_block);
  EXPECT_EQ(moe.text.num_experts, 8);
  EXPECT_EQ(moe.text.top_k_experts, 2);
  EXPECT_EQ(moe.text.moe_intermediate_size, 40);
  EXPECT_EQ(moe.text.hidden_size_per_layer_input, 0);
  EXPECT_EQ(moe.text.vocab_size_per_layer_input, 0);
  EXPECT_EQ(moe.text.bidirectional_attention, "");
  const ModelConfig vl = load("vl-bidir");
  EXPECT_FALSE(vl.text.enable_moe_block);
  EXPECT_EQ(vl.text.bidirectional_attention, "vision");
  ASSERT_TRUE(vl.vision.has_value());
  EXPECT_TRUE(vl.vision->standardize);
  EXPECT_FALSE(vl.vision->use_clipped_linears);
  EXPECT_TRUE(vl.text.layers[2].k_eq_v);
  EXPECT_EQ(vl.text.layers[2].num_kv_heads, 1);  // num_global_key_value_heads
  EXPECT_EQ(vl.text.layers[0].num_kv_heads, 2);
}

TEST(Gemma4ConfigErrors, UnsupportedModels) {
  json doc = load_json("sample");
  doc["model_type"] = "llama";
  expect_error(doc, ErrorCode::kUnsupported, "key 'model_type': 'llama' is not supported");
  doc = load_json("sample");
  doc["architectures"] = {"LlamaForCausalLM"};
  expect_error(doc, ErrorCode::kUnsupported, "'LlamaForCausalLM' is not supported");
  doc["architectures"] = {"Gemma4ForConditionalGeneration"};
  expect_error(doc, ErrorCode::kUnsupported, "does not match model_type 'gemma4_text'");
  doc = load_json("sample");
  doc["enable_moe_block"] = true;  // without num_experts / top_k_experts / moe_intermediate_size
  expect_error(doc, ErrorCode::kInvalidFile, "num_experts");
  doc = load_json("moe");
  doc["top_k_experts"] = 9;
  expect_error(doc, ErrorCode::kInvalidFile, "top_k_experts': 9 exceeds num_experts 8");
  doc = load_json("sample");
  doc["use_bidirectional_attention"] = "all";
  expect_error(doc, ErrorCode::kUnsupported, "\"all\" is not implemented");
  doc = load_json("sample");
  doc["rope_parameters"]["full_attention"]["rope_type"] = "yarn";
  expect_error(doc, ErrorCode::kUnsupported, "'rope_parameters.full_attention.rope_type': 'yarn'");
  doc = load_json("sample");
  doc["per_layer_config"]["1"]["intermediate_size"] = 64;
  expect_error(doc, ErrorCode::kUnsupported, "per_layer_config.1.intermediate_size");
  doc = load_json("sample");
  doc["per_layer_config"]["3"]["head_dim"] = 48;  // full layers 1 and 3 would need two RoPE tables
  expect_error(doc, ErrorCode::kUnsupported, "layer 3 and layer 1 (full_attention) differ in head_dim");
  doc = load_json("mm");
  doc["audio_config"]["model_type"] = "whisper";
  expect_error(doc, ErrorCode::kUnsupported, "audio_config.model_type");
}

TEST(Gemma4ConfigErrors, InvalidFiles) {
  json doc = load_json("sample");
  doc.erase("hidden_size");
  expect_error(doc, ErrorCode::kInvalidFile, "key 'hidden_size': missing (required)");
  doc = load_json("mm");
  doc["text_config"].erase("num_attention_heads");
  expect_error(doc, ErrorCode::kInvalidFile, "key 'text_config.num_attention_heads': missing");
  doc = load_json("sample");
  doc["hidden_size"] = "64";
  expect_error(doc, ErrorCode::kInvalidFile, "key 'hidden_size': expected an integer, got string '64'");
  doc = load_json("sample");
  doc["num_hidden_layers"] = 5;
  expect_error(doc, ErrorCode::kInvalidFile, "'layer_types': has 4 entries, but num_hidden_layers is 5");
  doc = load_json("sample");
  doc["per_layer_config"]["9"] = {{"head_dim", 64}};
  expect_error(doc, ErrorCode::kInvalidFile, "layer 9 is outside [0, 4)");
  doc = load_json("sample");
  doc["num_kv_shared_layers"] = 3;  // layer 1 (full) would share, with no earlier full layer
  expect_error(doc, ErrorCode::kInvalidFile, "no earlier non-shared layer");
  doc = load_json("sample");
  doc["rope_parameters"].erase("sliding_attention");
  expect_error(doc, ErrorCode::kInvalidFile, "'rope_parameters.sliding_attention': missing");
  doc = load_json("mm");
  doc.erase("text_config");
  expect_error(doc, ErrorCode::kInvalidFile, "key 'text_config': missing");
  auto bad_json = parse_gemma4_config("{\"model_type\": ", "config.json");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_EQ(bad_json.error().code, ErrorCode::kInvalidFile);
}

TEST(Gemma4ConfigErrors, MissingFile) {
  auto c = read_gemma4_config((kGemma4Dir / "no-such-fixture" / "config.json").string());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
  EXPECT_NE(c.error().to_string().find("no-such-fixture/config.json"), std::string::npos);
}

}  // namespace
}  // namespace hfb
