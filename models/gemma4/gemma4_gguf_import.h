// A llama.cpp `gemma4` GGUF (+ its `clip` mmproj) -> the core::Model a Gemma 4 checkpoint directory gives: the config
// from the metadata and tensor shapes (plus `--config` for what GGUF has no keys for), every tensor under its
// Hugging Face name and shape, the export's transforms reversed (docs/gguf.md, Import).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "models/model_family.h"

namespace hfb {

/// The Gemma 4 family's GGUF import (ModelFamily::import_gguf). Tensors whose bytes are unchanged are views into
/// the mapped file (q4_0 / q8_0 stay encoded); the softplus'd audio per_dim_scale and the permuted vision patch
/// projection are rebuilt in memory as float32; `rope_freqs.weight` is checked against the config's
/// partial_rotary_factor and dropped. Without `--config` the audio tower (no keys for attention_chunk_size /
/// attention_context_left) and, when the vocabulary has no `<|image|>` token, the vision tower are left out and
/// Model::audio_refusal / image_refusal say why. Fails with kInvalidFile naming the file and tensor for a tensor
/// with no Hugging Face counterpart, a shape the transform cannot take, a rope_freqs that disagrees with the
/// config or a tensor the role check refuses; kInvalidArgument naming the field when `--config` disagrees with
/// the GGUF; kUnsupported for a transformed tensor stored quantized; like config_from_text_metadata and
/// apply_mmproj_metadata for the metadata.
Result<Model> import_gemma4_gguf(const GgufImportInput& input);

namespace gemma4_gguf {

/// The HF per_dim_scale value whose softplus the GGUF holds: log(expm1(y)) in float64, then float32. nullopt for
/// y <= 0 or non-finite (no real preimage).
std::optional<float> inverse_softplus(float y);

/// One row of the vision patch projection back from ggml's (3, p, p) to HF's (p, p, 3) order.
void unpermute_patch_row(const float* in, int64_t cols, float* out);

/// The tower fields an mmproj defines by tensor shapes (vision head_dim, kv heads, position table, clipping,
/// standardize; audio channels, conv kernel, output dims, clipping), applied to `config`'s towers (set by
/// apply_mmproj_metadata). Fails with kInvalidFile naming the file and the tensor a field needs when it is absent.
Status apply_mmproj_tensor_facts(const GgufFile& mmproj, ModelConfig* config);

/// Reconciles the GGUF's config with `--config` (`file`): the towers' fields GGUF has no keys for, the
/// placeholder ids and bidirectional attention come from the file, and every field both define must agree
/// (kInvalidArgument naming the key, both values and `path`).
Status merge_config_file(const ModelConfig& file, const std::string& path, ModelConfig* config);

}  // namespace gemma4_gguf
}  // namespace hfb
