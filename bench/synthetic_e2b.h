// A synthetic Gemma 4 E2B-shaped text checkpoint (bf16, one safetensors file, optionally fewer layers) for
// the benchmarks: the real tensor shapes and config, deterministic bell-shaped weights (std ~0.02).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace hfb_bench {

constexpr int64_t kHidden = 1536, kVocab = 262144, kPle = 256, kHeads = 8, kKvHeads = 1;
constexpr int64_t kSlidingHeadDim = 256, kGlobalHeadDim = 512, kIntermediate = 4 * kHidden;
constexpr int kFullLayers = 35, kFullKvShared = 20, kPattern = 5;

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  uint64_t bytes() const {
    uint64_t n = 2;
    for (int64_t d : shape) n *= static_cast<uint64_t>(d);
    return n;
  }
};

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
  std::string types;
  for (int i = 0; i < layers; ++i) {
    types += std::string(i ? "," : "") + (is_full(i, layers) ? "\"full_attention\"" : "\"sliding_attention\"");
  }
  return R"({"architectures": ["Gemma4ForCausalLM"], "model_type": "gemma4_text", "hidden_size": 1536,
  "intermediate_size": 6144, "num_hidden_layers": )" + std::to_string(layers) +
         R"(, "num_attention_heads": 8, "num_key_value_heads": 1, "head_dim": 256, "global_head_dim": 512,
  "num_global_key_value_heads": null, "attention_k_eq_v": false, "num_kv_shared_layers": )" +
         std::to_string(kv_shared_layers(layers)) + R"(, "use_double_wide_mlp": true,
  "hidden_size_per_layer_input": 256, "vocab_size": 262144, "vocab_size_per_layer_input": 262144,
  "sliding_window": 512, "final_logit_softcapping": 30.0, "hidden_activation": "gelu_pytorch_tanh",
  "rms_norm_eps": 1e-6, "tie_word_embeddings": true, "enable_moe_block": false, "bos_token_id": 2,
  "eos_token_id": 1, "pad_token_id": 0, "layer_types": [)" + types + R"(],
  "rope_parameters": {"full_attention": {"rope_theta": 1000000.0, "rope_type": "proportional",
    "partial_rotary_factor": 0.25}, "sliding_attention": {"rope_theta": 10000.0, "rope_type": "default"}}}
)";
}

inline std::string safetensors_header(const std::vector<Tensor>& tensors) {
  std::string h = "{";
  uint64_t at = 0;
  for (const Tensor& t : tensors) {
    std::string shape;
    for (int64_t d : t.shape) shape += std::string(shape.empty() ? "" : ",") + std::to_string(d);
    h += "\"" + t.name + "\":{\"dtype\":\"BF16\",\"shape\":[" + shape + "],\"data_offsets\":[" + std::to_string(at) +
         "," + std::to_string(at + t.bytes()) + "]},";
    at += t.bytes();
  }
  h.back() = '}';
  while ((h.size() + 8) % 64 != 0) h += ' ';  // data 64-byte aligned in the file
  return h;
}

/// Fills `out` with bf16 values of a cheap deterministic bell-shaped distribution, std ~0.02.
inline void fill_bf16(std::vector<uint16_t>& out, uint64_t* state) {
  for (uint16_t& v : out) {
    uint64_t x = (*state += 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    const float u = (static_cast<float>(x & 0xFFFF) + static_cast<float>((x >> 16) & 0xFFFF) +
                     static_cast<float>((x >> 32) & 0xFFFF) - 98302.5f) / 65536.0f;  // sum of 3 uniforms
    const float f = u * 0.04f;
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    v = static_cast<uint16_t>(bits >> 16);
  }
}

inline bool write_checkpoint(const std::string& dir, int layers, uint64_t* bytes) {
  if (std::system(("mkdir -p '" + dir + "'").c_str()) != 0) return false;
  FILE* cfg = std::fopen((dir + "/config.json").c_str(), "w");
  if (!cfg) return false;
  std::fputs(config_json(layers).c_str(), cfg);
  std::fclose(cfg);
  const std::vector<Tensor> tensors = e2b_tensors(layers);
  const std::string header = safetensors_header(tensors);
  FILE* f = std::fopen((dir + "/model.safetensors").c_str(), "wb");
  if (!f) return false;
  const uint64_t header_size = header.size();
  std::fwrite(&header_size, 8, 1, f);
  std::fwrite(header.data(), 1, header.size(), f);
  std::vector<uint16_t> buffer(4u << 20);
  uint64_t state = 42;
  *bytes = 0;
  for (const Tensor& t : tensors) {
    for (uint64_t left = t.bytes() / 2; left > 0;) {
      const uint64_t n = std::min<uint64_t>(left, buffer.size());
      buffer.resize(n);
      fill_bf16(buffer, &state);
      if (std::fwrite(buffer.data(), 2, n, f) != n) return std::fclose(f), false;
      left -= n;
      buffer.resize(4u << 20);
    }
    *bytes += t.bytes();
  }
  return std::fclose(f) == 0;
}

inline uint64_t checkpoint_bytes(int layers) {
  uint64_t total = 0;
  for (const Tensor& t : e2b_tensors(layers)) total += t.bytes();
  return total;
}

}  // namespace hfb_bench
