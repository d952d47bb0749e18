// Resolved Gemma 4 config <-> llama.cpp GGUF metadata: the `gemma4.*` keys of the text model with the exact types
// its loader reads (gguf-gemma4.md 2.1, 8.2), the `clip.*` keys of the mmproj (section 3), the synthesised
// `rope_freqs` values, the KV-sharing layouts this llama.cpp cannot run (2.4), and the reverse: the config fields a
// GGUF defines.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model_config.h"
#include "formats/gguf_format.h"
#include "models/gguf_tensor_map.h"

namespace hfb::gemma4_gguf {

inline constexpr const char* kTextArchitecture = "gemma4";
inline constexpr const char* kMmprojArchitecture = "clip";
inline constexpr const char* kVisionProjector = "gemma4v";
inline constexpr const char* kAudioProjector = "gemma4a";
inline constexpr uint32_t kConverterImageSize = 224;  ///< clip.vision.image_size: the converter hard-codes it

/// `general.architecture` and every `gemma4.*` key for `config`, in the converter's order: UINT32 scalars,
/// FLOAT32 scalars, a BOOL array for sliding_window_pattern, INT32 arrays for feed_forward_length / head_count_kv
/// when they vary per layer (double-wide MLP, per-layer kv heads), the MoE keys when enable_moe_block, and
/// final_logit_softcapping always (absent would mean 30; 0 turns the cap off). No general.* provenance, no tokenizer.
gguf::Metadata text_metadata(const ModelConfig& config);

/// The rope_freqs.weight values for proportional RoPE on full-attention layers: int(d_full * prf / 2) ones, then
/// 1e30 up to d_full / 2 (gemma.py:757-762). Empty when the model has no full-attention layer.
std::vector<float> rope_freqs(const ModelConfig& config);

using hfb::MmprojExtras;  ///< models/gguf_tensor_map.h

/// The mel bins the audio tower's input projection expects: 4 * ((channels[0] / 4) * channels[1] / channels[1]).
int audio_mel_bins(const AudioConfig& audio);

/// `general.architecture` = clip, `general.type` = mmproj and the `clip.vision.*` / `clip.audio.*` keys for the
/// towers `config` has (a tower absent: its has_*_encoder key and its keys are not written). Empty when neither.
gguf::Metadata mmproj_metadata(const ModelConfig& config, const MmprojExtras& extras);

/// A warning (one sentence) when the kv-shared layers map, under llama.cpp's rule (shared layer i reuses layer
/// L - shared - (sliding(i) ? 2 : 1)), to a layer of the other attention type or not to the layer HF uses: that
/// llama.cpp aborts at context creation (llama-kv-cache.cpp:268) or reads the wrong cache. nullopt when it runs.
std::optional<std::string> llamacpp_kv_sharing_problem(const TextConfig& text);

/// Facts of a text GGUF that live in its tensors, not its metadata.
struct GgufTextTensorFacts {
  int vocab_size = 0;                   ///< token_embd.weight ne[1]
  int vocab_size_per_layer_input = 0;   ///< per_layer_token_embd.weight ne[1] (0: no PLE)
  bool has_output = false;              ///< an untied output.weight
  std::vector<int> layers_without_attn_v;  ///< non-shared layers with attn_k but no attn_v (k_eq_v)
  std::optional<int> rope_rotated_pairs;   ///< count of 1.0 entries in rope_freqs.weight (nullopt: absent)
};

/// The config a `gemma4` GGUF defines: Gemma4ForCausalLM with the text geometry from the gemma4.* keys (required:
/// block_count, embedding_length, attention.head_count, sliding_window, sliding_window_pattern,
/// key_length_swa, layer_norm_rms_epsilon, embedding_length_per_layer_input; defaults as llama.cpp's loader), kv
/// sources by HF's rule, k_eq_v, vocab and tying from `facts`, generation ids from tokenizer.ggml.*. Fails with
/// kInvalidFile naming `path` and the key for a missing key, a wrong type or a per-layer array of the wrong
/// length, kUnsupported for another general.architecture.
Result<ModelConfig> config_from_text_metadata(const gguf::Metadata& metadata, const GgufTextTensorFacts& facts,
                                              const std::string& path);

/// The tower fields an mmproj's clip.* keys define (vision: hidden, intermediate, layers, heads, patch size, eps;
/// audio: hidden, layers, heads, eps). The rest (vision head_dim, position table, pooling; audio channels, kernel,
/// output dims, chunking) comes from tensor shapes or a config file. Makes `config` a Gemma4ForConditionalGeneration.
/// Fails with kInvalidFile naming `path` and the key.
Status apply_mmproj_metadata(const gguf::Metadata& metadata, const std::string& path, ModelConfig* config);

}  // namespace hfb::gemma4_gguf
