// The resolved model description: one entry per layer, independent of the config file format
// it came from (readers/gemma4_config.cpp parses both HF formats into this).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hfb {

enum class AttentionType : uint8_t { kSliding, kFull };
enum class RopeType : uint8_t { kDefault, kProportional };

struct RopeSpec {
  RopeType type = RopeType::kDefault;
  double theta = 10000.0;
  double partial_rotary_factor = 1.0;  ///< fraction of head_dim rotated (proportional RoPE)
  friend bool operator==(const RopeSpec& a, const RopeSpec& b) {
    return a.type == b.type && a.theta == b.theta && a.partial_rotary_factor == b.partial_rotary_factor;
  }
};

/// One text decoder layer, fully resolved.
struct TextLayerSpec {
  int index = 0;
  AttentionType attention = AttentionType::kSliding;
  int head_dim = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int kv_shared_from = -1;    ///< -1: own K/V; else the layer whose K/V this layer reads
  bool k_eq_v = false;        ///< V = raw k_proj output (no v_proj)
  int intermediate_size = 0;  ///< already doubled on shared layers with use_double_wide_mlp
  RopeSpec rope;
  friend bool operator==(const TextLayerSpec& a, const TextLayerSpec& b) {
    return a.index == b.index && a.attention == b.attention && a.head_dim == b.head_dim &&
           a.num_heads == b.num_heads && a.num_kv_heads == b.num_kv_heads &&
           a.kv_shared_from == b.kv_shared_from && a.k_eq_v == b.k_eq_v &&
           a.intermediate_size == b.intermediate_size && a.rope == b.rope;
  }
};

struct TextConfig {
  int num_hidden_layers = 0;
  int hidden_size = 0;
  int vocab_size = 0;
  int vocab_size_per_layer_input = 0;
  int hidden_size_per_layer_input = 0;  ///< PLE width per layer (0: no PLE)
  int num_attention_heads = 0;
  int num_kv_shared_layers = 0;
  int sliding_window = 0;
  double rms_norm_eps = 1e-6;
  double final_logit_softcapping = 0.0;  ///< 0: none
  bool tie_word_embeddings = true;
  std::string hidden_activation;         ///< "gelu_pytorch_tanh"
  int pad_token_id = 0;
  int max_position_embeddings = 131072;  ///< context length (GGUF gemma4.context_length); HF default
  // Mixture of Experts (enable_moe_block): every layer adds a routed block beside its dense MLP.
  bool enable_moe_block = false;
  int num_experts = 0;
  int top_k_experts = 0;
  int moe_intermediate_size = 0;
  /// use_bidirectional_attention: "" (causal) or "vision" (sliding layers see their whole image block).
  std::string bidirectional_attention;
  std::vector<TextLayerSpec> layers;
  friend bool operator==(const TextConfig& a, const TextConfig& b) {
    return a.num_hidden_layers == b.num_hidden_layers && a.hidden_size == b.hidden_size &&
           a.vocab_size == b.vocab_size && a.vocab_size_per_layer_input == b.vocab_size_per_layer_input &&
           a.hidden_size_per_layer_input == b.hidden_size_per_layer_input &&
           a.num_attention_heads == b.num_attention_heads && a.num_kv_shared_layers == b.num_kv_shared_layers &&
           a.sliding_window == b.sliding_window && a.rms_norm_eps == b.rms_norm_eps &&
           a.final_logit_softcapping == b.final_logit_softcapping && a.tie_word_embeddings == b.tie_word_embeddings &&
           a.hidden_activation == b.hidden_activation && a.pad_token_id == b.pad_token_id &&
           a.max_position_embeddings == b.max_position_embeddings && a.enable_moe_block == b.enable_moe_block && a.num_experts == b.num_experts &&
           a.top_k_experts == b.top_k_experts && a.moe_intermediate_size == b.moe_intermediate_size &&
           a.bidirectional_attention == b.bidirectional_attention && a.layers == b.layers;
  }
};

/// Audio conformer tower (Gemma4AudioConfig).
struct AudioConfig {
  int hidden_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  std::vector<int> subsampling_conv_channels;
  int conv_kernel_size = 0;
  double residual_weight = 0.5;
  int attention_chunk_size = 0;
  int attention_context_left = 0;
  int attention_context_right = 0;
  double attention_logit_cap = 0.0;
  double attention_invalid_logits_value = -1.0e9;
  bool use_clipped_linears = true;
  double rms_norm_eps = 1e-6;
  double gradient_clipping = 1e10;
  int output_proj_dims = 0;
  std::string hidden_act;
  friend bool operator==(const AudioConfig& a, const AudioConfig& b) {
    return a.hidden_size == b.hidden_size && a.num_hidden_layers == b.num_hidden_layers &&
           a.num_attention_heads == b.num_attention_heads &&
           a.subsampling_conv_channels == b.subsampling_conv_channels && a.conv_kernel_size == b.conv_kernel_size &&
           a.residual_weight == b.residual_weight && a.attention_chunk_size == b.attention_chunk_size &&
           a.attention_context_left == b.attention_context_left &&
           a.attention_context_right == b.attention_context_right && a.attention_logit_cap == b.attention_logit_cap &&
           a.attention_invalid_logits_value == b.attention_invalid_logits_value &&
           a.use_clipped_linears == b.use_clipped_linears && a.rms_norm_eps == b.rms_norm_eps &&
           a.gradient_clipping == b.gradient_clipping && a.output_proj_dims == b.output_proj_dims &&
           a.hidden_act == b.hidden_act;
  }
};

/// Vision encoder tower (Gemma4VisionConfig).
struct VisionConfig {
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int num_key_value_heads = 0;
  int head_dim = 0;
  std::string hidden_activation;
  double rms_norm_eps = 1e-6;
  double rope_theta = 100.0;
  int pooling_kernel_size = 0;
  int patch_size = 0;
  int position_embedding_size = 0;
  bool use_clipped_linears = false;
  bool standardize = false;
  friend bool operator==(const VisionConfig& a, const VisionConfig& b) {
    return a.hidden_size == b.hidden_size && a.intermediate_size == b.intermediate_size &&
           a.num_hidden_layers == b.num_hidden_layers && a.num_attention_heads == b.num_attention_heads &&
           a.num_key_value_heads == b.num_key_value_heads && a.head_dim == b.head_dim &&
           a.hidden_activation == b.hidden_activation && a.rms_norm_eps == b.rms_norm_eps &&
           a.rope_theta == b.rope_theta && a.pooling_kernel_size == b.pooling_kernel_size &&
           a.patch_size == b.patch_size && a.position_embedding_size == b.position_embedding_size &&
           a.use_clipped_linears == b.use_clipped_linears && a.standardize == b.standardize;
  }
};

struct GenerationConfig {
  int bos_token_id = 2;
  std::vector<int> eos_token_ids{1};
  int pad_token_id = 0;
  friend bool operator==(const GenerationConfig& a, const GenerationConfig& b) {
    return a.bos_token_id == b.bos_token_id && a.eos_token_ids == b.eos_token_ids && a.pad_token_id == b.pad_token_id;
  }
};

/// Everything the builder and runtime need to know about a model, whatever file it came from.
struct ModelConfig {
  std::string architecture;  ///< "Gemma4ForCausalLM" | "Gemma4ForConditionalGeneration"
  std::string model_type;    ///< "gemma4_text" | "gemma4"
  TextConfig text;
  std::optional<AudioConfig> audio;
  std::optional<VisionConfig> vision;
  GenerationConfig generation;
  // Multimodal placeholder ids (-1: none). Embedded as pad for token and PLE lookup.
  int image_token_id = -1;
  int video_token_id = -1;
  int audio_token_id = -1;
  friend bool operator==(const ModelConfig& a, const ModelConfig& b) {
    return a.architecture == b.architecture && a.model_type == b.model_type && a.text == b.text &&
           a.audio == b.audio && a.vision == b.vision && a.generation == b.generation &&
           a.image_token_id == b.image_token_id && a.video_token_id == b.video_token_id &&
           a.audio_token_id == b.audio_token_id;
  }
};

}  // namespace hfb
