// Config -> GGUF metadata against llama.cpp's converter output (fixtures/gemma4/gguf): every gemma4.* / clip.* key
// with its type and value bytes, rope_freqs, the reverse mapping, the KV-sharing layouts llama.cpp cannot run.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "models/gemma4/gemma4_config.h"
#include "tests/models/fixture_config.h"
#include "models/gemma4/gemma4_gguf_config.h"
#include "readers/gguf.h"

namespace hfb::gemma4_gguf {
namespace {

namespace fs = std::filesystem;

const fs::path kGemma4Dir = fs::path(HFB_FIXTURES_DIR) / "gemma4";

ModelConfig load_config(const std::string& fixture) { return test::load_fixture_config(fixture); }

GgufFile reference(const std::string& name) {
  auto file = read_gguf((kGemma4Dir / "gguf" / name).string());
  EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().to_string());
  return std::move(file).value();
}

/// The keys of `ours` under `prefix` equal the reference's (same set, types and bytes).
void expect_keys(const gguf::Metadata& ours, const GgufFile& ref, const std::string& prefix) {
  size_t checked = 0;
  for (const auto& [key, value] : ref.metadata) {
    if (key.rfind(prefix, 0) != 0) continue;
    const gguf::Value* mine = gguf::find_value(ours, key);
    ASSERT_NE(mine, nullptr) << "missing " << key;
    EXPECT_EQ(mine->type_name(), value.type_name()) << key;
    EXPECT_EQ(mine->bytes, value.bytes) << key;
    EXPECT_EQ(mine->strings, value.strings) << key;
    ++checked;
  }
  for (const auto& [key, value] : ours) {
    if (key.rfind(prefix, 0) == 0) {
      EXPECT_NE(ref.find(key), nullptr) << "extra key " << key;
    }
  }
  EXPECT_GT(checked, 10u);
}

TEST(Gemma4GgufConfig, TextKeysEqualLlamaCppConverter) {
  for (const char* fixture : {"sample", "mm", "moe"}) {
    SCOPED_TRACE(fixture);
    const gguf::Metadata ours = text_metadata(load_config(fixture));
    expect_keys(ours, reference(std::string(fixture) + "-f32.gguf"), "gemma4.");
    EXPECT_EQ(*gguf::find_value(ours, "general.architecture")->string_at(0), "gemma4");
  }
}

TEST(Gemma4GgufConfig, MmprojKeysEqualLlamaCppConverter) {
  const gguf::Metadata ours = mmproj_metadata(load_config("mm"), MmprojExtras{});
  expect_keys(ours, reference("mm-mmproj-f32.gguf"), "clip.");
  EXPECT_EQ(*gguf::find_value(ours, "general.architecture")->string_at(0), "clip");
  EXPECT_EQ(*gguf::find_value(ours, "general.type")->string_at(0), "mmproj");
  EXPECT_TRUE(mmproj_metadata(load_config("sample"), MmprojExtras{}).empty());
}

TEST(Gemma4GgufConfig, RopeFreqsEqualLlamaCppConverter) {
  const GgufFile ref = reference("sample-f32.gguf");
  const GgufTensorInfo* t = ref.find_tensor("rope_freqs.weight");
  ASSERT_NE(t, nullptr);
  auto span = ref.tensor_data(*t);
  ASSERT_TRUE(span.ok());
  const std::vector<float> ours = rope_freqs(load_config("sample"));
  ASSERT_EQ(ours.size() * 4, span->size);
  EXPECT_EQ(std::memcmp(ours.data(), span->data, span->size), 0);
}

TEST(Gemma4GgufConfig, ReverseMappingGivesTheTextConfig) {
  for (const char* fixture : {"sample", "moe"}) {
    SCOPED_TRACE(fixture);
    const ModelConfig expected = load_config(fixture);
    const GgufFile ref = reference(std::string(fixture) + "-f32.gguf");
    GgufTextTensorFacts facts;
    facts.vocab_size = static_cast<int>(ref.find_tensor("token_embd.weight")->ne[1]);
    if (const GgufTensorInfo* ple = ref.find_tensor("per_layer_token_embd.weight")) {
      facts.vocab_size_per_layer_input = static_cast<int>(ple->ne[1]);
    }
    for (const TextLayerSpec& spec : expected.text.layers) {
      if (spec.attention != AttentionType::kFull || facts.rope_rotated_pairs) continue;
      facts.rope_rotated_pairs = static_cast<int>(spec.head_dim * spec.rope.partial_rotary_factor / 2);
    }
    for (int i = 0; i < expected.text.num_hidden_layers; ++i) {
      const std::string blk = "blk." + std::to_string(i) + ".";
      if (ref.find_tensor(blk + "attn_k.weight") && !ref.find_tensor(blk + "attn_v.weight")) {
        facts.layers_without_attn_v.push_back(i);
      }
    }
    auto config = config_from_text_metadata(ref.metadata, facts, "ref.gguf");
    ASSERT_TRUE(config.ok()) << config.error().to_string();
    EXPECT_EQ(config->text.layers, expected.text.layers);
    EXPECT_EQ(config->text.hidden_size, expected.text.hidden_size);
    EXPECT_EQ(config->text.num_kv_shared_layers, expected.text.num_kv_shared_layers);
    EXPECT_EQ(config->text.hidden_size_per_layer_input, expected.text.hidden_size_per_layer_input);
    EXPECT_EQ(config->text.sliding_window, expected.text.sliding_window);
    EXPECT_EQ(config->text.num_experts, expected.text.num_experts);
    EXPECT_EQ(config->text.moe_intermediate_size, expected.text.moe_intermediate_size);
    EXPECT_FLOAT_EQ(config->text.final_logit_softcapping, expected.text.final_logit_softcapping);
  }
}

TEST(Gemma4GgufConfig, ReverseMappingNamesAWrongType) {
  gguf::Metadata metadata = text_metadata(load_config("sample"));
  for (auto& [key, value] : metadata) {
    if (key == "gemma4.block_count") value = gguf::Value::i32(4);
  }
  auto config = config_from_text_metadata(metadata, GgufTextTensorFacts{}, "x.gguf");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("gemma4.block_count"), std::string::npos);
  EXPECT_NE(config.error().message.find("UINT32"), std::string::npos);
}

TEST(Gemma4GgufConfig, KvSharingLayoutsLlamaCppCannotRun) {
  for (const char* runs : {"sample", "mm", "moe", "vl-bidir", "grid-q4_0"}) {
    EXPECT_FALSE(llamacpp_kv_sharing_problem(load_config(runs).text).has_value()) << runs;
  }
  for (const char* aborts : {"text-kveqv", "grid-int4"}) {
    EXPECT_TRUE(llamacpp_kv_sharing_problem(load_config(aborts).text).has_value()) << aborts;
  }
}

}  // namespace
}  // namespace hfb::gemma4_gguf
