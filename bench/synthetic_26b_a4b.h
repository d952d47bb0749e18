// A synthetic Gemma 4 26B-A4B-shaped text checkpoint (bf16, one safetensors file, optionally fewer layers) for
// the convert benchmark: the real config of transformers' convert_gemma4_weights.py (_VARIANT_GEMMA_4_26B_A4B:
// hidden 2816, 30 layers 5 sliding : 1 full, 16 heads, 8 KV heads on sliding layers, 2 on full layers with
// attention_k_eq_v, dense MLP 2112 beside 128 experts of 704, top 8) and its tensor shapes (expert banks as 3-D
// [E, 2*704, 2816] / [E, 2816, 704] parameters, ~1 GB and ~0.5 GB per layer in bf16).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/synthetic_checkpoint.h"

namespace hfb_bench::a4b {

constexpr int64_t kHidden = 2816, kVocab = 262144, kHeads = 16, kKvHeads = 8, kGlobalKvHeads = 2;
constexpr int64_t kSlidingHeadDim = 256, kGlobalHeadDim = 512, kIntermediate = 2112;
constexpr int64_t kExperts = 128, kTopK = 8, kExpertIntermediate = 704;
constexpr int kFullLayers = 30, kPattern = 6;

/// Every sixth layer is full attention; fewer layers keep the last one full, as the real model ends.
inline bool is_full(int layer, int layers) { return layer % kPattern == kPattern - 1 || layer == layers - 1; }

inline void add_attention(const std::string& p, bool full, std::vector<Tensor>* t) {
  const int64_t hd = full ? kGlobalHeadDim : kSlidingHeadDim;
  const int64_t kv = full ? kGlobalKvHeads : kKvHeads;
  t->push_back({p + "self_attn.q_proj.weight", {kHeads * hd, kHidden}});
  t->push_back({p + "self_attn.k_proj.weight", {kv * hd, kHidden}});
  if (!full) t->push_back({p + "self_attn.v_proj.weight", {kv * hd, kHidden}});  // k_eq_v on full layers
  t->push_back({p + "self_attn.o_proj.weight", {kHidden, kHeads * hd}});
  t->push_back({p + "self_attn.q_norm.weight", {hd}});
  t->push_back({p + "self_attn.k_norm.weight", {hd}});
}

inline std::vector<Tensor> a4b_tensors(int layers) {
  std::vector<Tensor> t = {{"model.embed_tokens.weight", {kVocab, kHidden}}, {"model.norm.weight", {kHidden}}};
  for (int i = 0; i < layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    for (const char* norm : {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                             "post_feedforward_layernorm", "post_feedforward_layernorm_1",
                             "pre_feedforward_layernorm_2", "post_feedforward_layernorm_2"}) {
      t.push_back({p + norm + ".weight", {kHidden}});
    }
    t.push_back({p + "layer_scalar", {1}});
    add_attention(p, is_full(i, layers), &t);
    t.push_back({p + "mlp.gate_proj.weight", {kIntermediate, kHidden}});
    t.push_back({p + "mlp.up_proj.weight", {kIntermediate, kHidden}});
    t.push_back({p + "mlp.down_proj.weight", {kHidden, kIntermediate}});
    t.push_back({p + "router.proj.weight", {kExperts, kHidden}});
    t.push_back({p + "router.scale", {kHidden}});
    t.push_back({p + "router.per_expert_scale", {kExperts}});
    t.push_back({p + "experts.gate_up_proj", {kExperts, 2 * kExpertIntermediate, kHidden}});
    t.push_back({p + "experts.down_proj", {kExperts, kHidden, kExpertIntermediate}});
  }
  return t;
}

inline std::string a4b_config_json(int layers) {
  const std::string types = layer_types_json(layers, is_full);
  return R"({"architectures": ["Gemma4ForCausalLM"], "model_type": "gemma4_text", "hidden_size": 2816,
  "intermediate_size": 2112, "num_hidden_layers": )" + std::to_string(layers) +
         R"(, "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 256, "global_head_dim": 512,
  "num_global_key_value_heads": 2, "attention_k_eq_v": true, "num_kv_shared_layers": 0,
  "use_double_wide_mlp": false, "hidden_size_per_layer_input": 0, "vocab_size": 262144,
  "vocab_size_per_layer_input": 0, "enable_moe_block": true, "num_experts": 128, "top_k_experts": 8,
  "moe_intermediate_size": 704, "sliding_window": 1024, "final_logit_softcapping": 30.0,
  "hidden_activation": "gelu_pytorch_tanh", "rms_norm_eps": 1e-6, "tie_word_embeddings": true,
  "use_bidirectional_attention": null, "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0,
  "layer_types": )" + types + R"(,
  "rope_parameters": {"full_attention": {"rope_theta": 1000000.0, "rope_type": "proportional",
    "partial_rotary_factor": 0.25}, "sliding_attention": {"rope_theta": 10000.0, "rope_type": "default"}}}
)";
}

}  // namespace hfb_bench::a4b
