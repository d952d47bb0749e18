// The family-neutral vocabulary of a GGUF export/import: which file a tensor goes to, how its bytes change between
// the Hugging Face and the GGUF side, the shape rules of those changes, what an mmproj needs beyond the config, and
// the tables a model family registers for the export (models/model_family.h `gguf_export`). A family's own names
// and metadata live in its folder (Gemma 4: models/gemma4/gemma4_gguf_*).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model_config.h"
#include "core/shape.h"
#include "formats/gguf_format.h"

namespace hfb {

/// Which GGUF file a tensor belongs to: the text model or the multimodal projector (arch `clip`).
enum class GgufFileKind : uint8_t { kText, kMmproj };

/// How the bytes of a tensor change between the Hugging Face and the GGUF side (the shape is always reversed).
enum class GgufTransform : uint8_t {
  kNone,            ///< same bytes, ne = HF shape reversed
  kScalarToVector,  ///< a 0-dim HF scalar (a clip bound) becomes ne {1} (same 4 bytes)
  kSqueezeMiddle,   ///< a depthwise conv [C, 1, K] -> ne {K, C} (same bytes)
  kSoftplus,        ///< the GGUF holds softplus(HF), computed in float32 as llama.cpp's converter does
  kPatchPermute,    ///< a patch projection [E, p*p*3] (E, p, p, 3) -> (E, 3, p, p), ne {p, p, 3, E}
};

/// One mapped tensor.
struct GgufTensorName {
  std::string name;  ///< GGUF name ("blk.3.attn_q.weight") or HF name, whichever was asked for
  GgufFileKind file = GgufFileKind::kText;
  GgufTransform transform = GgufTransform::kNone;
  bool force_f32 = false;  ///< llama.cpp requires or its converter forces F32
  int layer = -1;
};

/// The GGUF-only tensor of proportional RoPE (no HF counterpart; llama.cpp's name).
inline constexpr const char* kRopeFreqsName = "rope_freqs.weight";

/// ggml ne of a tensor whose HF shape is `shape`: reversed, then adjusted by `transform` (nullopt when the shape does
/// not fit the transform, e.g. a depthwise conv whose middle dim is not 1).
std::optional<std::vector<int64_t>> gguf_ne_for(GgufTransform transform, const Shape& shape);

/// The HF shape of a GGUF tensor with ggml dims `ne` (the inverse of gguf_ne_for; the patch projection needs the
/// patch size: ne {p, p, 3, E} -> [E, 3 p^2]).
std::optional<Shape> hf_shape_for(GgufTransform transform, const std::vector<int64_t>& ne);

/// What an mmproj needs beyond the config (preprocessor_config.json or the processor defaults).
struct MmprojExtras {
  std::array<float, 3> image_mean{0.0f, 0.0f, 0.0f};
  std::array<float, 3> image_std{1.0f, 1.0f, 1.0f};
};

/// A model family's GGUF export: every entry set.
struct GgufExportTables {
  /// The GGUF name, file and transform of an HF tensor of a checkpoint with `config`; nullopt: no GGUF counterpart.
  std::optional<GgufTensorName> (*gguf_name_for)(const ModelConfig& config, std::string_view hf_name);
  /// `general.architecture` and the architecture's keys for the text model (no general.* provenance, no tokenizer).
  gguf::Metadata (*text_metadata)(const ModelConfig& config);
  /// The rope_freqs.weight values (empty: the model needs none).
  std::vector<float> (*rope_freqs)(const ModelConfig& config);
  /// The mmproj's metadata for the towers `config` has (empty when it has none).
  gguf::Metadata (*mmproj_metadata)(const ModelConfig& config, const MmprojExtras& extras);
  /// A warning when llama.cpp cannot run the model as HF does (e.g. a KV-sharing layout); nullopt when it can.
  std::optional<std::string> (*llamacpp_problem)(const ModelConfig& config);
};

}  // namespace hfb
