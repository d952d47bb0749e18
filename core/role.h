// Tensor roles and towers: what a weight *is*, assigned once by the reader, so that policy
// (quantization, passes, chunking) never matches substrings of tensor names. See docs/roles.md.
#pragma once

#include <optional>
#include <string_view>

namespace hfb {

enum class Tower : uint8_t { kText, kAudio, kVision };

enum class Role : uint8_t {
  kTokenEmbedding,       ///< embed_tokens (also the tied head)
  kLmHead,               ///< an untied lm_head
  kPleTable,             ///< embed_tokens_per_layer: [vocab_ple, layers * ple_dim]
  kPleProjection,        ///< per_layer_model_projection: hidden -> layers * ple_dim
  kPleGate,              ///< layers.i.per_layer_input_gate: hidden -> ple_dim
  kPleLayerProjection,   ///< layers.i.per_layer_projection: ple_dim -> hidden
  kAttnQ,
  kAttnK,
  kAttnV,
  kAttnO,
  kAttnQNorm,
  kAttnKNorm,
  kAttnVNorm,            ///< release extras only: v_norm has no weight in HF
  kMlpGate,
  kMlpUp,
  kMlpDown,
  kNorm,                 ///< any other RMSNorm / LayerNorm weight
  kLayerScalar,
  kClipBound,            ///< input_min/input_max/output_min/output_max of a clippable linear
  kAudioSubsampleConv,
  kAudioInputProjection,
  kAudioRelativeKProjection,
  kAudioPerDimScale,
  kAudioLconvStart,
  kAudioLconvEnd,
  kAudioDepthwiseConv,
  kAudioOutputProjection,
  kAudioOutputBias,
  kVisionPatchProjection,
  kVisionPositionTable,
  kVisionStandardizeBias,
  kVisionStandardizeScale,
  kEmbedderProjection,   ///< embed_audio / embed_vision projection into the text hidden size
  kMoeRouter,            ///< layers.i.router.proj [E, H] and router.scale [H] (kept float by default)
  kMoeGateUp,            ///< layers.i.experts.gate_up_proj [E, 2*I, H]: E stacked matrices
  kMoeDown,              ///< layers.i.experts.down_proj [E, H, I]: E stacked matrices
  kMoeExpertScale,       ///< layers.i.router.per_expert_scale [E]
  kCount,
};

/// snake_case name as printed by `inspect` and taken by `--role-type` ("attn_q", "ple_table").
std::string_view role_name(Role role);
std::optional<Role> role_from_name(std::string_view name);
std::string_view tower_name(Tower tower);
/// True for norm weights of any kind (policy keeps them unquantized).
bool role_is_norm(Role role);

}  // namespace hfb
