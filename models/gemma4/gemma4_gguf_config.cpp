// Gemma 4 config -> GGUF metadata (text `gemma4.*`, mmproj `clip.*`), rope_freqs, the llama.cpp KV-sharing check.
#include "models/gemma4/gemma4_gguf_config.h"

#include <cstdint>

namespace hfb::gemma4_gguf {
namespace {

using gguf::Value;

std::string key(const char* name) { return std::string(kTextArchitecture) + "." + name; }

uint32_t u32(int v) { return static_cast<uint32_t>(v < 0 ? 0 : v); }

/// The first layer of `type`, or nullptr.
const TextLayerSpec* first_layer(const TextConfig& text, AttentionType type) {
  for (const TextLayerSpec& spec : text.layers) {
    if (spec.attention == type) return &spec;
  }
  return nullptr;
}

/// A UINT32 scalar when every layer agrees, else an INT32 array[L] (what gguf-py writes for a Python int list).
Value per_layer_value(const TextConfig& text, int (*field)(const TextLayerSpec&)) {
  std::vector<int32_t> values;
  bool same = true;
  for (const TextLayerSpec& spec : text.layers) {
    values.push_back(field(spec));
    same = same && values.back() == values.front();
  }
  if (same && !values.empty()) return Value::u32(u32(values.front()));
  return Value::i32_array(values);
}

struct Geometry {
  const TextLayerSpec* full;     ///< the full-attention layers' geometry (the sliding one when there is none)
  const TextLayerSpec* sliding;  ///< the sliding layers' geometry (the full one when there is none)
};

Geometry geometry(const TextConfig& text) {
  const TextLayerSpec* full = first_layer(text, AttentionType::kFull);
  const TextLayerSpec* sliding = first_layer(text, AttentionType::kSliding);
  return {full ? full : sliding, sliding ? sliding : full};
}

}  // namespace

gguf::Metadata text_metadata(const ModelConfig& config) {
  const TextConfig& text = config.text;
  const Geometry g = geometry(text);
  gguf::Metadata out;
  auto add = [&](const char* name, Value value) { out.emplace_back(key(name), std::move(value)); };
  out.emplace_back("general.architecture", Value::str(kTextArchitecture));
  add("block_count", Value::u32(u32(text.num_hidden_layers)));
  add("context_length", Value::u32(u32(text.max_position_embeddings)));
  add("embedding_length", Value::u32(u32(text.hidden_size)));
  add("feed_forward_length", per_layer_value(text, [](const TextLayerSpec& s) { return s.intermediate_size; }));
  add("attention.head_count", Value::u32(u32(text.num_attention_heads)));
  add("attention.head_count_kv", per_layer_value(text, [](const TextLayerSpec& s) { return s.num_kv_heads; }));
  add("rope.freq_base", Value::f32(static_cast<float>(g.full->rope.theta)));
  add("rope.freq_base_swa", Value::f32(static_cast<float>(g.sliding->rope.theta)));
  add("attention.layer_norm_rms_epsilon", Value::f32(static_cast<float>(text.rms_norm_eps)));
  if (text.enable_moe_block) {
    add("expert_count", Value::u32(u32(text.num_experts)));
    add("expert_used_count", Value::u32(u32(text.top_k_experts)));
  }
  add("attention.key_length", Value::u32(u32(g.full->head_dim)));
  add("attention.value_length", Value::u32(u32(g.full->head_dim)));
  add("final_logit_softcapping", Value::f32(static_cast<float>(text.final_logit_softcapping)));
  add("attention.sliding_window", Value::u32(u32(text.sliding_window)));
  add("attention.shared_kv_layers", Value::u32(u32(text.num_kv_shared_layers)));
  add("embedding_length_per_layer_input", Value::u32(u32(text.hidden_size_per_layer_input)));
  std::vector<bool> pattern;
  for (const TextLayerSpec& spec : text.layers) pattern.push_back(spec.attention == AttentionType::kSliding);
  add("attention.sliding_window_pattern", Value::bool_array(pattern));
  add("attention.key_length_swa", Value::u32(u32(g.sliding->head_dim)));
  add("attention.value_length_swa", Value::u32(u32(g.sliding->head_dim)));
  if (text.enable_moe_block) add("expert_feed_forward_length", Value::u32(u32(text.moe_intermediate_size)));
  add("rope.dimension_count", Value::u32(u32(g.full->head_dim)));
  const double swa_rotated = g.sliding->head_dim * g.sliding->rope.partial_rotary_factor;
  add("rope.dimension_count_swa", Value::u32(static_cast<uint32_t>(swa_rotated)));
  return out;
}

std::vector<float> rope_freqs(const ModelConfig& config) {
  const TextLayerSpec* full = first_layer(config.text, AttentionType::kFull);
  if (!full) return {};
  const int pairs = full->head_dim / 2;
  const int rotated = static_cast<int>(full->head_dim * full->rope.partial_rotary_factor / 2.0);
  std::vector<float> out(static_cast<size_t>(pairs), 1e30f);
  for (int i = 0; i < rotated && i < pairs; ++i) out[static_cast<size_t>(i)] = 1.0f;
  return out;
}

int audio_mel_bins(const AudioConfig& audio) {
  if (audio.subsampling_conv_channels.size() < 2 || audio.subsampling_conv_channels[1] <= 0) return 0;
  const int c0 = audio.subsampling_conv_channels[0];
  const int c1 = audio.subsampling_conv_channels[1];
  return 4 * (((c0 / 4) * c1) / c1);
}

gguf::Metadata mmproj_metadata(const ModelConfig& config, const MmprojExtras& extras) {
  gguf::Metadata out;
  if (!config.vision && !config.audio) return out;
  auto add = [&](const std::string& name, Value value) { out.emplace_back(name, std::move(value)); };
  add("general.architecture", Value::str(kMmprojArchitecture));
  add("general.type", Value::str("mmproj"));
  const uint32_t projection = u32(config.text.hidden_size);
  if (const auto& v = config.vision) {
    add("clip.has_vision_encoder", Value::boolean(true));
    add("clip.vision.projection_dim", Value::u32(projection));
    add("clip.vision.image_size", Value::u32(kConverterImageSize));
    add("clip.vision.patch_size", Value::u32(u32(v->patch_size)));
    add("clip.vision.embedding_length", Value::u32(u32(v->hidden_size)));
    add("clip.vision.feed_forward_length", Value::u32(u32(v->intermediate_size)));
    add("clip.vision.block_count", Value::u32(u32(v->num_hidden_layers)));
    add("clip.vision.attention.head_count", Value::u32(u32(v->num_attention_heads)));
    add("clip.vision.image_mean", Value::f32_array({extras.image_mean.begin(), extras.image_mean.end()}));
    add("clip.vision.image_std", Value::f32_array({extras.image_std.begin(), extras.image_std.end()}));
  }
  if (const auto& a = config.audio) {
    add("clip.has_audio_encoder", Value::boolean(true));
    add("clip.audio.projection_dim", Value::u32(projection));
    add("clip.audio.embedding_length", Value::u32(u32(a->hidden_size)));
    add("clip.audio.feed_forward_length", Value::u32(u32(4 * a->hidden_size)));
    add("clip.audio.block_count", Value::u32(u32(a->num_hidden_layers)));
    add("clip.audio.attention.head_count", Value::u32(u32(a->num_attention_heads)));
  }
  if (const auto& v = config.vision) {
    add("clip.vision.projector_type", Value::str(kVisionProjector));
    add("clip.vision.attention.layer_norm_epsilon", Value::f32(static_cast<float>(v->rms_norm_eps)));
  }
  if (const auto& a = config.audio) {
    add("clip.audio.projector_type", Value::str(kAudioProjector));
    add("clip.audio.num_mel_bins", Value::u32(u32(audio_mel_bins(*a))));
    add("clip.audio.attention.layer_norm_epsilon", Value::f32(static_cast<float>(a->rms_norm_eps)));
  }
  return out;
}

std::optional<std::string> llamacpp_kv_sharing_problem(const TextConfig& text) {
  const int num_layers = static_cast<int>(text.layers.size());
  const int first_shared = num_layers - text.num_kv_shared_layers;
  for (int i = first_shared; i < num_layers && first_shared > 0; ++i) {
    const TextLayerSpec& spec = text.layers[static_cast<size_t>(i)];
    const int reuse = first_shared - (spec.attention == AttentionType::kSliding ? 2 : 1);
    const char* type = spec.attention == AttentionType::kSliding ? "sliding" : "full";
    const std::string layer = "kv-shared layer " + std::to_string(i) + " (" + type + ")";
    if (reuse < 0 || text.layers[static_cast<size_t>(reuse)].attention != spec.attention) {
      return "llama.cpp cannot run this KV-sharing layout: its rule maps " + layer + " to layer " +
             std::to_string(reuse) + ", which is not a " + type +
             " layer, so context creation aborts (llama-kv-cache.cpp:268); the last two non-shared layers must be "
             "sliding then full";
    }
    if (reuse != spec.kv_shared_from) {
      return "llama.cpp maps " + layer + " to layer " + std::to_string(reuse) + "'s K/V where HF uses layer " +
             std::to_string(spec.kv_shared_from) + ": llama.cpp would compute a different model";
    }
  }
  return std::nullopt;
}

}  // namespace hfb::gemma4_gguf
