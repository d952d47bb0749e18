// Gemma 4 tensor names <-> llama.cpp GGUF tensor names, both directions from one table (text model `gemma4`, mmproj
// `clip` with the `gemma4v` vision and `gemma4a` audio projectors). Source: the shared gguf-gemma4.md, sections 2.3
// and 3 (llama.cpp's conversion/gemma.py and gguf-py tensor_mapping.py, verified by value on the reference GGUFs).
// Names are matched exactly against templates with one `{i}` layer slot: nothing is recognised by a substring.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model_config.h"
#include "core/shape.h"

namespace hfb::gemma4_gguf {

/// Which GGUF file a tensor belongs to: the text model (arch `gemma4`) or the multimodal projector (arch `clip`).
enum class GgufFileKind : uint8_t { kText, kMmproj };

/// How the bytes of a tensor change between the Hugging Face and the GGUF side (the shape is always reversed).
enum class GgufTransform : uint8_t {
  kNone,            ///< same bytes, ne = HF shape reversed
  kScalarToVector,  ///< a 0-dim HF clip bound becomes ne {1} (same 4 bytes)
  kSqueezeMiddle,   ///< audio depthwise conv [C, 1, K] -> ne {K, C} (same bytes)
  kSoftplus,        ///< audio per_dim_scale: GGUF holds softplus(HF) (gemma.py:1009-1011)
  kPatchPermute,    ///< vision patch projection [Ev, p*p*3] (Ev, p, p, 3) -> (Ev, 3, p, p), ne {p, p, 3, Ev}
};

/// One mapped tensor.
struct GgufTensorName {
  std::string name;  ///< GGUF name ("blk.3.attn_q.weight") or HF name, whichever was asked for
  GgufFileKind file = GgufFileKind::kText;
  GgufTransform transform = GgufTransform::kNone;
  bool force_f32 = false;  ///< llama.cpp requires or its converter forces F32 (position table, audio convs)
  int layer = -1;
};

/// The GGUF name of an HF tensor of a checkpoint with `config` (text prefix `model.` or `model.language_model.` by
/// model_type). nullopt for a name with no GGUF counterpart (v_norm of a release layout, an unknown name). Whether a
/// mapped tensor is written at all (dead K/V of kv-shared layers, a tied lm_head, unused clip bounds) is the
/// exporter's decision from the tensor's role and `used` flag, not this table's.
std::optional<GgufTensorName> gguf_name_for(const ModelConfig& config, std::string_view hf_name);

/// The HF name of a GGUF tensor of `file` (the reverse of gguf_name_for, same table). `model_type` picks the text
/// prefix ("gemma4": `model.language_model.`, else `model.`). nullopt for a name the table does not hold
/// (`rope_freqs.weight` is synthesised, see kRopeFreqsName).
std::optional<GgufTensorName> hf_name_for(std::string_view model_type, GgufFileKind file, std::string_view gguf_name);

/// The GGUF-only tensor for proportional RoPE on full-attention layers (no HF counterpart).
inline constexpr const char* kRopeFreqsName = "rope_freqs.weight";

/// ggml ne of a tensor whose HF shape is `shape`: reversed, then adjusted by `transform` (nullopt when the shape does
/// not fit the transform, e.g. a depthwise conv whose middle dim is not 1).
std::optional<std::vector<int64_t>> gguf_ne_for(GgufTransform transform, const Shape& shape);

/// The HF shape of a GGUF tensor with ggml dims `ne` (the inverse of gguf_ne_for; the patch projection needs the
/// patch size: ne {p, p, 3, Ev} -> [Ev, 3 p^2]).
std::optional<Shape> hf_shape_for(GgufTransform transform, const std::vector<int64_t>& ne);

/// Every template of the table as "hf_template -> gguf_template" (tests, docs).
std::vector<std::string> gguf_name_table_lines();

}  // namespace hfb::gemma4_gguf
