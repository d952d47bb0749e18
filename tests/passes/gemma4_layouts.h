// Real Gemma 4 E2B / E4B text layouts as core::ModelConfig (values from transformers'
// convert_gemma4_weights.py), for chunk-planner tests that need no weights.
#pragma once

#include "core/model_config.h"

namespace hfb::testing {

struct LayoutSpec {
  int num_layers;
  int hidden;
  int num_kv_shared;
  int pattern;          ///< every `pattern`-th layer is full attention (the last one is full)
  int heads;
  int kv_heads;
  int intermediate;
  bool double_wide_mlp;
  int ple_dim;
};

inline ModelConfig make_gemma4_layout(const LayoutSpec& s) {
  ModelConfig c;
  c.architecture = "Gemma4ForConditionalGeneration";
  c.model_type = "gemma4";
  TextConfig& t = c.text;
  t.num_hidden_layers = s.num_layers;
  t.hidden_size = s.hidden;
  t.vocab_size = 262144;
  t.vocab_size_per_layer_input = 262144;
  t.hidden_size_per_layer_input = s.ple_dim;
  t.num_attention_heads = s.heads;
  t.num_kv_shared_layers = s.num_kv_shared;
  t.sliding_window = 512;
  t.final_logit_softcapping = 30.0;
  const int first_shared = s.num_layers - s.num_kv_shared;
  int last_sliding = -1, last_full = -1;
  for (int i = 0; i < s.num_layers; ++i) {
    TextLayerSpec l;
    l.index = i;
    const bool full = i % s.pattern == s.pattern - 1;
    l.attention = full ? AttentionType::kFull : AttentionType::kSliding;
    l.head_dim = full ? 512 : 256;
    l.num_heads = s.heads;
    l.num_kv_heads = s.kv_heads;
    const bool shared = i >= first_shared;
    if (!shared) (full ? last_full : last_sliding) = i;
    l.kv_shared_from = shared ? (full ? last_full : last_sliding) : -1;
    l.intermediate_size = s.intermediate * (shared && s.double_wide_mlp ? 2 : 1);
    t.layers.push_back(l);
  }
  return c;
}

/// gemma-4-e2b: 35 layers, sliding:full 4:1, 20 KV-shared, double-wide MLP on shared layers.
inline ModelConfig gemma4_e2b_config() {
  return make_gemma4_layout({35, 1536, 20, 5, 8, 1, 4 * 1536, true, 256});
}

/// gemma-4-e4b: 42 layers, sliding:full 5:1, 18 KV-shared.
inline ModelConfig gemma4_e4b_config() {
  return make_gemma4_layout({42, 2560, 18, 6, 8, 2, 4 * 2560, false, 256});
}

}  // namespace hfb::testing
