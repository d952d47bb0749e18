// Hugging Face Gemma 4 config.json / generation_config.json -> core::ModelConfig (both config formats).
//
// Accepted: model_type "gemma4_text" (Gemma4ForCausalLM, text keys at the root) and "gemma4"
// (Gemma4ForConditionalGeneration: text_config, optional audio_config / vision_config, placeholder token ids).
// Full-attention layer geometry comes either from the current format
// (`per_layer_config: {"<i>": {"head_dim": G, "num_key_value_heads"?: K}}`) or from the release format
// (`global_head_dim` (default 512), `num_global_key_value_heads` (only honoured with attention_k_eq_v)),
// exactly as HF's Gemma4TextConfig.__post_init__ resolves them. Absent keys take the defaults of
// configuration_gemma4.py, except the sizes that shape tensors (hidden_size, num_hidden_layers, ...), which are
// required: a 2304-wide default would only surface later as a confusing shape mismatch.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "core/model_config.h"

namespace hfb {

/// Parses the text of a config.json; `path` names the file in messages. Non-fatal findings (e.g. HF forcing
/// the last layer to full attention) are appended to `diagnostics` when given.
/// Fails with kInvalidFile naming the file and the key for malformed JSON, a wrong type, a missing required
/// key or inconsistent values (layer_types length, a kv-shared layer without a source, heads not dividing);
/// with kUnsupported for an unknown model_type / architectures, enable_moe_block, use_bidirectional_attention,
/// attention_bias, a RoPE type other than default/proportional, or a per_layer_config override we do not model.
Result<ModelConfig> parse_gemma4_config(std::string_view json_text, const std::string& path,
                                        std::vector<Diagnostic>* diagnostics = nullptr);

/// Reads and parses a config file. Fails with kNotFound / kIo for the file, kLimit above 16 MiB, else as
/// parse_gemma4_config.
Result<ModelConfig> read_gemma4_config(const std::string& path, std::vector<Diagnostic>* diagnostics = nullptr);

/// Overrides `generation` with the bos/eos/pad ids of a generation_config.json text (keys absent or null
/// keep their current value; eos may be an int or a list). Fails with kInvalidFile naming the file and key.
Status parse_generation_config(std::string_view json_text, const std::string& path, GenerationConfig* generation);

/// Reads a generation_config.json into `generation`. Fails with kNotFound / kIo, else as above.
Status read_generation_config(const std::string& path, GenerationConfig* generation);

}  // namespace hfb
