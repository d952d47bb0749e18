// A synthetic Gemma 4 E2B-shaped text checkpoint (bf16, one safetensors file, optionally fewer layers) for
// the benchmarks: the real tensor shapes and config, deterministic bell-shaped weights (std ~0.02).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/synthetic_checkpoint.h"

namespace hfb_bench {

constexpr int64_t kHidden = 1536, kVocab = 262144, kPle = 256, kHeads = 8, kKvHeads = 1;
constexpr int64_t kSlidingHeadDim = 256, kGlobalHeadDim = 512, kIntermediate = 4 * kHidden;
constexpr int kFullLayers = 35, kFullKvShared = 20, kPattern = 5;

inline bool is_full(int layer, int layers) { return layer % kPattern == kPattern - 1 || layer == layers - 1; }

/// E2B keeps 20 KV-shared layers of 35; smaller models keep at least one full layer unshared.
inline int kv_shared_layers(int layers) {
  if (layers == kFullLayers) return kFullKvShared;
  const int unshared = std::max(std::min(layers, kPattern), layers - kFullKvShared);
  return layers - unshared;
}

inline std::vector<Tensor> e2b_tensors(int layers) {
  const int first_shared = layers - kv_shared_layers(layers);
  std::vector<Tensor> t = {{"model.embed_tokens.weight", {kVocab, kHidden}},
                           {"model.embed_tokens_per_layer.weight", {kVocab, layers * kPle}},
                           {"model.norm.weight", {kHidden}},
                           {"model.per_layer_model_projection.weight", {layers * kPle, kHidden}},
                           {"model.per_layer_projection_norm.weight", {kPle}}};
  for (int i = 0; i < layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    const int64_t hd = is_full(i, layers) ? kGlobalHeadDim : kSlidingHeadDim;
    const int64_t mlp = kIntermediate * (i >= first_shared ? 2 : 1);  // double-wide MLP on shared layers
    for (const char* norm : {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                             "post_feedforward_layernorm", "post_per_layer_input_norm"}) {
      t.push_back({p + norm + ".weight", {kHidden}});
    }
    t.push_back({p + "layer_scalar", {1}});
    t.push_back({p + "mlp.gate_proj.weight", {mlp, kHidden}});
    t.push_back({p + "mlp.up_proj.weight", {mlp, kHidden}});
    t.push_back({p + "mlp.down_proj.weight", {kHidden, mlp}});
    t.push_back({p + "per_layer_input_gate.weight", {kPle, kHidden}});
    t.push_back({p + "per_layer_projection.weight", {kHidden, kPle}});
    t.push_back({p + "self_attn.q_proj.weight", {kHeads * hd, kHidden}});
    t.push_back({p + "self_attn.q_norm.weight", {hd}});
    t.push_back({p + "self_attn.o_proj.weight", {kHidden, kHeads * hd}});
    if (i < first_shared) {  // KV-shared layers read an earlier layer's K/V: no k/v weights in the checkpoint
      t.push_back({p + "self_attn.k_proj.weight", {kKvHeads * hd, kHidden}});
      t.push_back({p + "self_attn.v_proj.weight", {kKvHeads * hd, kHidden}});
      t.push_back({p + "self_attn.k_norm.weight", {hd}});
    }
  }
  return t;
}

inline std::string config_json(int layers) {
  const std::string types = layer_types_json(layers, is_full);
  return R"({"architectures": ["Gemma4ForCausalLM"], "model_type": "gemma4_text", "hidden_size": 1536,
  "intermediate_size": 6144, "num_hidden_layers": )" + std::to_string(layers) +
         R"(, "num_attention_heads": 8, "num_key_value_heads": 1, "head_dim": 256, "global_head_dim": 512,
  "num_global_key_value_heads": null, "attention_k_eq_v": false, "num_kv_shared_layers": )" +
         std::to_string(kv_shared_layers(layers)) + R"(, "use_double_wide_mlp": true,
  "hidden_size_per_layer_input": 256, "vocab_size": 262144, "vocab_size_per_layer_input": 262144,
  "sliding_window": 512, "final_logit_softcapping": 30.0, "hidden_activation": "gelu_pytorch_tanh",
  "rms_norm_eps": 1e-6, "tie_word_embeddings": true, "enable_moe_block": false, "bos_token_id": 2,
  "eos_token_id": 1, "pad_token_id": 0, "layer_types": )" + types + R"(,
  "rope_parameters": {"full_attention": {"rope_theta": 1000000.0, "rope_type": "proportional",
    "partial_rotary_factor": 0.25}, "sliding_attention": {"rope_theta": 10000.0, "rope_type": "default"}}}
)";
}

inline bool write_checkpoint(const std::string& dir, int layers, uint64_t* bytes) {
  return write_checkpoint_files(dir, config_json(layers), e2b_tensors(layers), bytes);
}

inline uint64_t checkpoint_bytes(int layers) { return tensors_bytes(e2b_tensors(layers)); }

}  // namespace hfb_bench
