// The E2B / E4B layouts written as HF config.json text (values from transformers'
// convert_gemma4_weights.py), resolved by the real config reader and planned: CoreML-LLM's
// boundaries, and the same layer specs as the hand-built layouts of tests/passes.
#include <gtest/gtest.h>

#include <string>

#include "models/gemma4/gemma4_config.h"
#include "passes/chunk_plan.h"
#include "tests/passes/gemma4_layouts.h"

namespace hfb {
namespace {

std::string text_config_json(int layers, int hidden, int kv_heads, int shared, int pattern,
                             bool double_wide) {
  std::string types;
  for (int i = 0; i < layers; ++i) {
    types += std::string(i ? "," : "") +
             (i % pattern == pattern - 1 ? "\"full_attention\"" : "\"sliding_attention\"");
  }
  return R"({"architectures": ["Gemma4ForCausalLM"], "model_type": "gemma4_text",
    "hidden_size": )" + std::to_string(hidden) + R"(, "intermediate_size": )" +
         std::to_string(4 * hidden) + R"(, "num_hidden_layers": )" + std::to_string(layers) +
         R"(, "num_attention_heads": 8, "num_key_value_heads": )" + std::to_string(kv_heads) +
         R"(, "head_dim": 256, "global_head_dim": 512, "num_global_key_value_heads": null,
    "attention_k_eq_v": false, "num_kv_shared_layers": )" + std::to_string(shared) +
         R"(, "use_double_wide_mlp": )" + (double_wide ? "true" : "false") +
         R"(, "hidden_size_per_layer_input": 256, "vocab_size": 262144,
    "vocab_size_per_layer_input": 262144, "sliding_window": 512, "final_logit_softcapping": 30.0,
    "hidden_activation": "gelu_pytorch_tanh", "rms_norm_eps": 1e-6, "tie_word_embeddings": true,
    "enable_moe_block": false, "layer_types": [)" + types + R"(],
    "rope_parameters": {"full_attention": {"rope_theta": 1000000.0, "rope_type": "proportional",
      "partial_rotary_factor": 0.25}, "sliding_attention": {"rope_theta": 10000.0,
      "rope_type": "default"}}})";
}

void expect_same_geometry(const ModelConfig& parsed, const ModelConfig& built) {
  ASSERT_EQ(parsed.text.layers.size(), built.text.layers.size());
  for (size_t i = 0; i < parsed.text.layers.size(); ++i) {
    const TextLayerSpec& a = parsed.text.layers[i];
    const TextLayerSpec& b = built.text.layers[i];
    EXPECT_EQ(a.attention, b.attention) << i;
    EXPECT_EQ(a.head_dim, b.head_dim) << i;
    EXPECT_EQ(a.num_kv_heads, b.num_kv_heads) << i;
    EXPECT_EQ(a.kv_shared_from, b.kv_shared_from) << i;
    EXPECT_EQ(a.intermediate_size, b.intermediate_size) << i;
  }
}

TEST(RealLayoutConfigs, E2BFromConfigJson) {
  auto config = parse_gemma4_config(text_config_json(35, 1536, 1, 20, 5, true), "e2b/config.json");
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  expect_same_geometry(*config, testing::gemma4_e2b_config());
  auto plan = plan_chunks(*config, TensorTable{}, ChunkRequest::with_count(4));
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  EXPECT_EQ(plan->decoder_ranges(), (std::vector<LayerRange>{{0, 8}, {8, 15}, {15, 25}, {25, 35}}));
}

TEST(RealLayoutConfigs, E4BFromConfigJson) {
  auto config = parse_gemma4_config(text_config_json(42, 2560, 2, 18, 6, false), "e4b/config.json");
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  expect_same_geometry(*config, testing::gemma4_e4b_config());
  auto plan = plan_chunks(*config, TensorTable{}, ChunkRequest::with_count(4));
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  EXPECT_EQ(plan->decoder_ranges(),
            (std::vector<LayerRange>{{0, 12}, {12, 24}, {24, 33}, {33, 42}}));
}

}  // namespace
}  // namespace hfb
