// Role and tower names (the table behind docs/roles.md).
#include "core/role.h"

#include <array>

namespace hfb {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(Role::kCount)> kRoleNames = {
    "token_embedding", "lm_head", "ple_table", "ple_projection", "ple_gate",
    "ple_layer_projection", "attn_q", "attn_k", "attn_v", "attn_o", "attn_q_norm",
    "attn_k_norm", "attn_v_norm", "mlp_gate", "mlp_up", "mlp_down", "norm", "layer_scalar",
    "clip_bound", "audio_subsample_conv", "audio_input_projection",
    "audio_relative_k_projection", "audio_per_dim_scale", "audio_lconv_start",
    "audio_lconv_end", "audio_depthwise_conv", "audio_output_projection", "audio_output_bias",
    "vision_patch_projection", "vision_position_table", "vision_standardize_bias",
    "vision_standardize_scale", "embedder_projection", "moe_router", "moe_gate_up", "moe_down",
    "moe_expert_scale",
};

}  // namespace

std::string_view role_name(Role role) { return kRoleNames[static_cast<size_t>(role)]; }

std::optional<Role> role_from_name(std::string_view name) {
  for (size_t i = 0; i < kRoleNames.size(); ++i) {
    if (kRoleNames[i] == name) return static_cast<Role>(i);
  }
  return std::nullopt;
}

std::string_view tower_name(Tower tower) {
  switch (tower) {
    case Tower::kText: return "text";
    case Tower::kAudio: return "audio";
    case Tower::kVision: return "vision";
  }
  return "?";
}

bool role_is_norm(Role role) {
  return role == Role::kNorm || role == Role::kAttnQNorm || role == Role::kAttnKNorm ||
         role == Role::kAttnVNorm;
}

}  // namespace hfb
