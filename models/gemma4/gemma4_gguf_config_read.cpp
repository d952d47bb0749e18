// GGUF metadata -> the Gemma 4 config fields it defines (text `gemma4.*` keys, mmproj `clip.*` keys).
#include "models/gemma4/gemma4_gguf_config.h"

#include <algorithm>

namespace hfb::gemma4_gguf {
namespace {

using gguf::Value;
using gguf::ValueType;

/// Typed access to one file's keys; every failure names the file and the key.
class MetadataView {
 public:
  MetadataView(const gguf::Metadata& metadata, const std::string& path) : metadata_(metadata), path_(path) {}

  Error invalid(const std::string& key, const std::string& what) const {
    return Error(ErrorCode::kInvalidFile, "GGUF key '" + key + "': " + what).with_path(path_);
  }
  const Value* find(const std::string& key) const { return gguf::find_value(metadata_, key); }

  /// A scalar UINT32 (exact type, as llama.cpp's get_kv); `fallback` when absent, else required.
  Result<int> u32(const std::string& key, std::optional<int> fallback = std::nullopt) const {
    const Value* v = find(key);
    if (!v) {
      if (fallback) return *fallback;
      return invalid(key, "missing (llama.cpp's gemma4 loader requires it)");
    }
    if (v->type != ValueType::kUint32) return invalid(key, "has type " + v->type_name() + ", expected UINT32");
    const auto x = v->int_at(0);
    if (!x || *x > INT32_MAX) return invalid(key, "value out of range");
    return static_cast<int>(*x);
  }
  Result<double> f32(const std::string& key, std::optional<double> fallback = std::nullopt) const {
    const Value* v = find(key);
    if (!v) {
      if (fallback) return *fallback;
      return invalid(key, "missing (llama.cpp's gemma4 loader requires it)");
    }
    if (v->type != ValueType::kFloat32) return invalid(key, "has type " + v->type_name() + ", expected FLOAT32");
    return *v->float_at(0);
  }
  /// A UINT32 scalar for every layer, or an INT32/UINT32 array of exactly `layers` entries.
  Result<std::vector<int>> per_layer(const std::string& key, int layers, std::optional<int> fallback) const {
    const Value* v = find(key);
    if (!v || v->type != ValueType::kArray) {
      HFB_TRY(int x, u32(key, fallback));
      return std::vector<int>(static_cast<size_t>(layers), x);
    }
    if (v->element_type != ValueType::kInt32 && v->element_type != ValueType::kUint32) {
      return invalid(key, "has type " + v->type_name() + ", expected UINT32 or an INT32/UINT32 array");
    }
    if (v->count() != static_cast<uint64_t>(layers)) {
      return invalid(key, "has " + std::to_string(v->count()) + " entries, expected block_count " +
                              std::to_string(layers));
    }
    std::vector<int> out;
    for (uint64_t i = 0; i < v->count(); ++i) out.push_back(static_cast<int>(v->int_at(i).value_or(0)));
    return out;
  }
  /// sliding_window_pattern: an array (BOOL, INT32 or UINT32) of `layers` entries, true = sliding.
  Result<std::vector<bool>> pattern(const std::string& key, int layers) const {
    const Value* v = find(key);
    if (!v) return invalid(key, "missing (llama.cpp's gemma4 loader requires it)");
    if (v->type != ValueType::kArray) return invalid(key, "has type " + v->type_name() + ", expected a BOOL array");
    if (v->count() != static_cast<uint64_t>(layers)) {
      return invalid(key, "has " + std::to_string(v->count()) + " entries, expected block_count " +
                              std::to_string(layers));
    }
    std::vector<bool> out;
    for (uint64_t i = 0; i < v->count(); ++i) {
      const auto x = v->int_at(i);
      if (!x) return invalid(key, "has type " + v->type_name() + ", expected a BOOL array");
      out.push_back(*x != 0);
    }
    return out;
  }

 private:
  const gguf::Metadata& metadata_;
  const std::string& path_;
};

Status read_text_scalars(const MetadataView& m, const GgufTextTensorFacts& facts, TextConfig* text) {
  const auto k = [](const char* name) { return std::string(kTextArchitecture) + "." + name; };
  HFB_TRY(text->num_hidden_layers, m.u32(k("block_count")));
  HFB_TRY(text->hidden_size, m.u32(k("embedding_length")));
  HFB_TRY(text->max_position_embeddings, m.u32(k("context_length")));
  HFB_TRY(text->num_attention_heads, m.u32(k("attention.head_count")));
  HFB_TRY(text->sliding_window, m.u32(k("attention.sliding_window")));
  HFB_TRY(text->num_kv_shared_layers, m.u32(k("attention.shared_kv_layers"), 0));
  HFB_TRY(text->hidden_size_per_layer_input, m.u32(k("embedding_length_per_layer_input")));
  HFB_TRY(text->rms_norm_eps, m.f32(k("attention.layer_norm_rms_epsilon")));
  HFB_TRY(text->final_logit_softcapping, m.f32(k("final_logit_softcapping"), 30.0));
  HFB_TRY(text->num_experts, m.u32(k("expert_count"), 0));
  HFB_TRY(text->top_k_experts, m.u32(k("expert_used_count"), 0));
  HFB_TRY(text->moe_intermediate_size, m.u32(k("expert_feed_forward_length"), 0));
  text->enable_moe_block = text->num_experts > 0;
  text->vocab_size = facts.vocab_size;
  text->vocab_size_per_layer_input = facts.vocab_size_per_layer_input;
  text->tie_word_embeddings = !facts.has_output;
  text->hidden_activation = "gelu_pytorch_tanh";
  if (text->num_kv_shared_layers > text->num_hidden_layers) {
    return m.invalid(k("attention.shared_kv_layers"), "exceeds block_count");
  }
  return ok_status();
}

Status read_text_layers(const MetadataView& m, const GgufTextTensorFacts& facts, TextConfig* text) {
  const auto k = [](const char* name) { return std::string(kTextArchitecture) + "." + name; };
  const int layers = text->num_hidden_layers;
  HFB_TRY(std::vector<bool> sliding, m.pattern(k("attention.sliding_window_pattern"), layers));
  HFB_TRY(int swa_dim, m.u32(k("attention.key_length_swa")));
  HFB_TRY(int full_dim, m.u32(k("attention.key_length"), text->hidden_size / std::max(1, text->num_attention_heads)));
  HFB_TRY(std::vector<int> kv, m.per_layer(k("attention.head_count_kv"), layers, text->num_attention_heads));
  HFB_TRY(std::vector<int> ff, m.per_layer(k("feed_forward_length"), layers, std::nullopt));
  HFB_TRY(double theta, m.f32(k("rope.freq_base"), 10000.0));
  HFB_TRY(double theta_swa, m.f32(k("rope.freq_base_swa"), 10000.0));
  HFB_TRY(int rot_swa, m.u32(k("rope.dimension_count_swa"), swa_dim));
  const int first_shared = layers - text->num_kv_shared_layers;
  text->layers.clear();
  for (int i = 0; i < layers; ++i) {
    TextLayerSpec spec;
    spec.index = i;
    const bool swa = sliding[static_cast<size_t>(i)];
    spec.attention = swa ? AttentionType::kSliding : AttentionType::kFull;
    spec.head_dim = swa ? swa_dim : full_dim;
    spec.num_heads = text->num_attention_heads;
    spec.num_kv_heads = kv[static_cast<size_t>(i)];
    spec.intermediate_size = ff[static_cast<size_t>(i)];
    spec.rope.theta = swa ? theta_swa : theta;
    if (swa) {
      spec.rope.partial_rotary_factor = swa_dim > 0 ? static_cast<double>(rot_swa) / swa_dim : 1.0;
    } else if (facts.rope_rotated_pairs) {
      spec.rope.type = RopeType::kProportional;
      spec.rope.partial_rotary_factor = full_dim > 0 ? 2.0 * *facts.rope_rotated_pairs / full_dim : 1.0;
    }
    if (i >= first_shared) {
      for (int j = first_shared - 1; j >= 0 && spec.kv_shared_from < 0; --j) {
        if (sliding[static_cast<size_t>(j)] == swa) spec.kv_shared_from = j;
      }
      if (spec.kv_shared_from < 0) {
        return m.invalid(k("attention.shared_kv_layers"),
                         "layer " + std::to_string(i) + " is kv-shared but no earlier layer has its attention type");
      }
    }
    const auto& no_v = facts.layers_without_attn_v;
    spec.k_eq_v = std::find(no_v.begin(), no_v.end(), i) != no_v.end();
    text->layers.push_back(spec);
  }
  return ok_status();
}

void read_generation_ids(const MetadataView& m, GenerationConfig* generation) {
  auto id = [&](const char* key) -> std::optional<int> {
    const Value* v = m.find(key);
    if (!v || v->type != ValueType::kUint32) return std::nullopt;
    return static_cast<int>(v->int_at(0).value_or(0));
  };
  if (auto bos = id("tokenizer.ggml.bos_token_id")) generation->bos_token_id = *bos;
  if (auto eos = id("tokenizer.ggml.eos_token_id")) generation->eos_token_ids = {*eos};
  if (auto pad = id("tokenizer.ggml.padding_token_id")) generation->pad_token_id = *pad;
}

}  // namespace

Result<ModelConfig> config_from_text_metadata(const gguf::Metadata& metadata, const GgufTextTensorFacts& facts,
                                              const std::string& path) {
  const MetadataView m(metadata, path);
  const Value* arch = m.find("general.architecture");
  if (!arch || !arch->string_at(0)) return m.invalid("general.architecture", "missing (a STRING)");
  if (*arch->string_at(0) != kTextArchitecture) {
    return Error(ErrorCode::kUnsupported, "GGUF general.architecture '" + *arch->string_at(0) +
                                              "' is not a Gemma 4 text model ('gemma4')")
        .with_path(path);
  }
  ModelConfig config;
  config.architecture = "Gemma4ForCausalLM";
  config.model_type = "gemma4_text";
  HFB_TRY(read_text_scalars(m, facts, &config.text));
  HFB_TRY(read_text_layers(m, facts, &config.text));
  read_generation_ids(m, &config.generation);
  config.text.pad_token_id = config.generation.pad_token_id;
  return config;
}

Status apply_mmproj_metadata(const gguf::Metadata& metadata, const std::string& path, ModelConfig* config) {
  const MetadataView m(metadata, path);
  config->architecture = "Gemma4ForConditionalGeneration";
  config->model_type = "gemma4";
  const Value* has_vision = m.find("clip.has_vision_encoder");
  if (has_vision && has_vision->int_at(0).value_or(0) != 0) {
    VisionConfig v = config->vision.value_or(VisionConfig{});
    HFB_TRY(v.hidden_size, m.u32("clip.vision.embedding_length"));
    HFB_TRY(v.intermediate_size, m.u32("clip.vision.feed_forward_length"));
    HFB_TRY(v.num_hidden_layers, m.u32("clip.vision.block_count"));
    HFB_TRY(v.num_attention_heads, m.u32("clip.vision.attention.head_count"));
    HFB_TRY(v.patch_size, m.u32("clip.vision.patch_size"));
    HFB_TRY(v.rms_norm_eps, m.f32("clip.vision.attention.layer_norm_epsilon", 1e-6));
    config->vision = v;
  }
  const Value* has_audio = m.find("clip.has_audio_encoder");
  if (has_audio && has_audio->int_at(0).value_or(0) != 0) {
    AudioConfig a = config->audio.value_or(AudioConfig{});
    HFB_TRY(a.hidden_size, m.u32("clip.audio.embedding_length"));
    HFB_TRY(a.num_hidden_layers, m.u32("clip.audio.block_count"));
    HFB_TRY(a.num_attention_heads, m.u32("clip.audio.attention.head_count"));
    HFB_TRY(a.rms_norm_eps, m.f32("clip.audio.attention.layer_norm_epsilon", 1e-6));
    config->audio = a;
  }
  return ok_status();
}

}  // namespace hfb::gemma4_gguf
