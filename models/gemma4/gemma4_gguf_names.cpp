// The one Gemma 4 <-> GGUF name table (gguf-gemma4.md 2.3 and 3) and its two lookups.
#include "models/gemma4/gemma4_gguf_names.h"

#include <array>

namespace hfb::gemma4_gguf {
namespace {

/// Which HF prefix a template is relative to.
enum class Scope : uint8_t { kText, kAudio, kVision, kRoot };

struct Rule {
  Scope scope;
  const char* hf;    ///< HF name after the scope prefix; `{i}` = layer
  const char* gguf;  ///< GGUF name; `{i}` = layer
  GgufFileKind file;
  GgufTransform transform = GgufTransform::kNone;
  bool force_f32 = false;
  bool clippable = false;  ///< hf/gguf are stems of a Gemma4ClippableLinear: weight + four clip bounds
};

constexpr GgufFileKind kT = GgufFileKind::kText;
constexpr GgufFileKind kM = GgufFileKind::kMmproj;
constexpr GgufTransform kNone = GgufTransform::kNone;

// clang-format off
constexpr Rule kRules[] = {
    // Text model (gemma4.cpp:36-141).
    {Scope::kText, "embed_tokens.weight", "token_embd.weight", kT},
    {Scope::kRoot, "lm_head.weight", "output.weight", kT},
    {Scope::kText, "norm.weight", "output_norm.weight", kT},
    {Scope::kText, "embed_tokens_per_layer.weight", "per_layer_token_embd.weight", kT},
    {Scope::kText, "per_layer_model_projection.weight", "per_layer_model_proj.weight", kT},
    {Scope::kText, "per_layer_projection_norm.weight", "per_layer_proj_norm.weight", kT},
    {Scope::kText, "layers.{i}.input_layernorm.weight", "blk.{i}.attn_norm.weight", kT},
    {Scope::kText, "layers.{i}.self_attn.q_proj.weight", "blk.{i}.attn_q.weight", kT},
    {Scope::kText, "layers.{i}.self_attn.k_proj.weight", "blk.{i}.attn_k.weight", kT},
    {Scope::kText, "layers.{i}.self_attn.v_proj.weight", "blk.{i}.attn_v.weight", kT},
    {Scope::kText, "layers.{i}.self_attn.o_proj.weight", "blk.{i}.attn_output.weight", kT},
    {Scope::kText, "layers.{i}.self_attn.q_norm.weight", "blk.{i}.attn_q_norm.weight", kT},
    {Scope::kText, "layers.{i}.self_attn.k_norm.weight", "blk.{i}.attn_k_norm.weight", kT},
    {Scope::kText, "layers.{i}.post_attention_layernorm.weight", "blk.{i}.post_attention_norm.weight", kT},
    {Scope::kText, "layers.{i}.layer_scalar", "blk.{i}.layer_output_scale.weight", kT},
    {Scope::kText, "layers.{i}.pre_feedforward_layernorm.weight", "blk.{i}.ffn_norm.weight", kT},
    {Scope::kText, "layers.{i}.mlp.gate_proj.weight", "blk.{i}.ffn_gate.weight", kT},
    {Scope::kText, "layers.{i}.mlp.up_proj.weight", "blk.{i}.ffn_up.weight", kT},
    {Scope::kText, "layers.{i}.mlp.down_proj.weight", "blk.{i}.ffn_down.weight", kT},
    {Scope::kText, "layers.{i}.post_feedforward_layernorm.weight", "blk.{i}.post_ffw_norm.weight", kT},
    {Scope::kText, "layers.{i}.per_layer_input_gate.weight", "blk.{i}.inp_gate.weight", kT},
    {Scope::kText, "layers.{i}.per_layer_projection.weight", "blk.{i}.proj.weight", kT},
    {Scope::kText, "layers.{i}.post_per_layer_input_norm.weight", "blk.{i}.post_norm.weight", kT},
    {Scope::kText, "layers.{i}.router.proj.weight", "blk.{i}.ffn_gate_inp.weight", kT},
    {Scope::kText, "layers.{i}.router.scale", "blk.{i}.ffn_gate_inp.scale", kT},
    {Scope::kText, "layers.{i}.router.per_expert_scale", "blk.{i}.ffn_down_exps.scale", kT},
    {Scope::kText, "layers.{i}.experts.gate_up_proj", "blk.{i}.ffn_gate_up_exps.weight", kT},
    {Scope::kText, "layers.{i}.experts.down_proj", "blk.{i}.ffn_down_exps.weight", kT},
    {Scope::kText, "layers.{i}.pre_feedforward_layernorm_2.weight", "blk.{i}.pre_ffw_norm_2.weight", kT},
    {Scope::kText, "layers.{i}.post_feedforward_layernorm_1.weight", "blk.{i}.post_ffw_norm_1.weight", kT},
    {Scope::kText, "layers.{i}.post_feedforward_layernorm_2.weight", "blk.{i}.post_ffw_norm_2.weight", kT},
    // Vision tower, projector gemma4v (gemma.py:954-1031, clip.cpp:2602-2626).
    {Scope::kVision, "patch_embedder.input_proj.weight", "v.patch_embd.weight", kM, GgufTransform::kPatchPermute},
    {Scope::kVision, "patch_embedder.position_embedding_table", "v.position_embd.weight", kM, kNone, true},
    {Scope::kVision, "std_bias", "v.std_bias", kM},
    {Scope::kVision, "std_scale", "v.std_scale", kM},
    {Scope::kVision, "encoder.layers.{i}.input_layernorm.weight", "v.blk.{i}.ln1.weight", kM},
    {Scope::kVision, "encoder.layers.{i}.pre_feedforward_layernorm.weight", "v.blk.{i}.ln2.weight", kM},
    {Scope::kVision, "encoder.layers.{i}.post_attention_layernorm.weight", "v.blk.{i}.attn_post_norm.weight", kM},
    {Scope::kVision, "encoder.layers.{i}.post_feedforward_layernorm.weight", "v.blk.{i}.ffn_post_norm.weight", kM},
    {Scope::kVision, "encoder.layers.{i}.self_attn.q_proj.", "v.blk.{i}.attn_q.", kM, kNone, false, true},
    {Scope::kVision, "encoder.layers.{i}.self_attn.k_proj.", "v.blk.{i}.attn_k.", kM, kNone, false, true},
    {Scope::kVision, "encoder.layers.{i}.self_attn.v_proj.", "v.blk.{i}.attn_v.", kM, kNone, false, true},
    {Scope::kVision, "encoder.layers.{i}.self_attn.o_proj.", "v.blk.{i}.attn_out.", kM, kNone, false, true},
    {Scope::kVision, "encoder.layers.{i}.self_attn.q_norm.weight", "v.blk.{i}.attn_q_norm.weight", kM},
    {Scope::kVision, "encoder.layers.{i}.self_attn.k_norm.weight", "v.blk.{i}.attn_k_norm.weight", kM},
    {Scope::kVision, "encoder.layers.{i}.mlp.gate_proj.", "v.blk.{i}.ffn_gate.", kM, kNone, false, true},
    {Scope::kVision, "encoder.layers.{i}.mlp.up_proj.", "v.blk.{i}.ffn_up.", kM, kNone, false, true},
    {Scope::kVision, "encoder.layers.{i}.mlp.down_proj.", "v.blk.{i}.ffn_down.", kM, kNone, false, true},
    {Scope::kRoot, "model.embed_vision.embedding_projection.weight", "mm.input_projection.weight", kM},
    // Audio tower, projector gemma4a. The lconv1d norms are written swapped, as gguf-py's tensor_mapping does and
    // clip.cpp:3300-3309 undoes: pre_layer_norm -> conv_norm, conv_norm -> norm_conv.
    {Scope::kAudio, "subsample_conv_projection.layer0.conv.weight", "a.conv1d.0.weight", kM, kNone, true},
    {Scope::kAudio, "subsample_conv_projection.layer0.norm.weight", "a.conv1d.0.norm.weight", kM},
    {Scope::kAudio, "subsample_conv_projection.layer1.conv.weight", "a.conv1d.1.weight", kM, kNone, true},
    {Scope::kAudio, "subsample_conv_projection.layer1.norm.weight", "a.conv1d.1.norm.weight", kM},
    {Scope::kAudio, "subsample_conv_projection.input_proj_linear.weight", "a.input_projection.weight", kM},
    {Scope::kAudio, "output_proj.weight", "a.pre_encode.out.weight", kM},
    {Scope::kAudio, "output_proj.bias", "a.pre_encode.out.bias", kM},
    {Scope::kAudio, "layers.{i}.feed_forward1.pre_layer_norm.weight", "a.blk.{i}.ffn_norm.weight", kM},
    {Scope::kAudio, "layers.{i}.feed_forward1.ffw_layer_1.", "a.blk.{i}.ffn_up.", kM, kNone, false, true},
    {Scope::kAudio, "layers.{i}.feed_forward1.ffw_layer_2.", "a.blk.{i}.ffn_down.", kM, kNone, false, true},
    {Scope::kAudio, "layers.{i}.feed_forward1.post_layer_norm.weight", "a.blk.{i}.ffn_post_norm.weight", kM},
    {Scope::kAudio, "layers.{i}.feed_forward2.pre_layer_norm.weight", "a.blk.{i}.ffn_norm_1.weight", kM},
    {Scope::kAudio, "layers.{i}.feed_forward2.ffw_layer_1.", "a.blk.{i}.ffn_up_1.", kM, kNone, false, true},
    {Scope::kAudio, "layers.{i}.feed_forward2.ffw_layer_2.", "a.blk.{i}.ffn_down_1.", kM, kNone, false, true},
    {Scope::kAudio, "layers.{i}.feed_forward2.post_layer_norm.weight", "a.blk.{i}.ffn_post_norm_1.weight", kM},
    {Scope::kAudio, "layers.{i}.norm_pre_attn.weight", "a.blk.{i}.attn_pre_norm.weight", kM},
    {Scope::kAudio, "layers.{i}.norm_post_attn.weight", "a.blk.{i}.attn_post_norm.weight", kM},
    {Scope::kAudio, "layers.{i}.norm_out.weight", "a.blk.{i}.ln2.weight", kM},
    {Scope::kAudio, "layers.{i}.self_attn.q_proj.", "a.blk.{i}.attn_q.", kM, kNone, false, true},
    {Scope::kAudio, "layers.{i}.self_attn.k_proj.", "a.blk.{i}.attn_k.", kM, kNone, false, true},
    {Scope::kAudio, "layers.{i}.self_attn.v_proj.", "a.blk.{i}.attn_v.", kM, kNone, false, true},
    {Scope::kAudio, "layers.{i}.self_attn.post.", "a.blk.{i}.attn_out.", kM, kNone, false, true},
    {Scope::kAudio, "layers.{i}.self_attn.relative_k_proj.weight", "a.blk.{i}.attn_k_rel.weight", kM},
    {Scope::kAudio, "layers.{i}.self_attn.per_dim_scale", "a.blk.{i}.per_dim_scale.weight", kM,
     GgufTransform::kSoftplus},
    {Scope::kAudio, "layers.{i}.lconv1d.linear_start.", "a.blk.{i}.conv_pw1.", kM, kNone, false, true},
    {Scope::kAudio, "layers.{i}.lconv1d.linear_end.", "a.blk.{i}.conv_pw2.", kM, kNone, false, true},
    {Scope::kAudio, "layers.{i}.lconv1d.depthwise_conv1d.weight", "a.blk.{i}.conv_dw.weight", kM,
     GgufTransform::kSqueezeMiddle},
    {Scope::kAudio, "layers.{i}.lconv1d.pre_layer_norm.weight", "a.blk.{i}.conv_norm.weight", kM},
    {Scope::kAudio, "layers.{i}.lconv1d.conv_norm.weight", "a.blk.{i}.norm_conv.weight", kM},
    {Scope::kRoot, "model.embed_audio.embedding_projection.weight", "mm.a.input_projection.weight", kM},
};
// clang-format on

/// HF suffix -> GGUF suffix of the five tensors of a clippable linear (bounds are 0-dim in HF, {1} in GGUF).
constexpr std::array<std::pair<const char*, const char*>, 5> kClippableParts = {{
    {"linear.weight", "weight"},
    {"input_min", "input_min"},
    {"input_max", "input_max"},
    {"output_min", "output_min"},
    {"output_max", "output_max"},
}};

std::string scope_prefix(Scope scope, std::string_view model_type) {
  switch (scope) {
    case Scope::kText: return model_type == "gemma4" ? "model.language_model." : "model.";
    case Scope::kAudio: return "model.audio_tower.";
    case Scope::kVision: return "model.vision_tower.";
    case Scope::kRoot: return "";
  }
  return "";
}

/// One concrete template pair (a clippable rule expands to five).
struct Template {
  std::string hf;
  std::string gguf;
  GgufFileKind file;
  GgufTransform transform;
  bool force_f32;
};

std::vector<Template> templates(std::string_view model_type) {
  std::vector<Template> out;
  for (const Rule& rule : kRules) {
    const std::string hf = scope_prefix(rule.scope, model_type) + rule.hf;
    if (!rule.clippable) {
      out.push_back({hf, rule.gguf, rule.file, rule.transform, rule.force_f32});
      continue;
    }
    for (const auto& [hf_part, gguf_part] : kClippableParts) {
      const bool bound = std::string_view(hf_part) != "linear.weight";
      out.push_back({hf + hf_part, std::string(rule.gguf) + gguf_part, rule.file,
                     bound ? GgufTransform::kScalarToVector : GgufTransform::kNone, bound});
    }
  }
  return out;
}

/// The layer of `name` under `pattern` (-1 when the pattern has no `{i}`), nullopt when it does not match.
std::optional<int> match(std::string_view pattern, std::string_view name) {
  const size_t slot = pattern.find("{i}");
  if (slot == std::string_view::npos) return pattern == name ? std::optional<int>(-1) : std::nullopt;
  const std::string_view pre = pattern.substr(0, slot);
  const std::string_view post = pattern.substr(slot + 3);
  if (name.size() <= pre.size() + post.size()) return std::nullopt;
  if (name.substr(0, pre.size()) != pre || name.substr(name.size() - post.size()) != post) return std::nullopt;
  const std::string_view digits = name.substr(pre.size(), name.size() - pre.size() - post.size());
  if (digits.size() > 6 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  int layer = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    layer = layer * 10 + (c - '0');
  }
  return layer;
}

std::string fill(std::string_view pattern, int layer) {
  std::string out(pattern);
  const size_t slot = out.find("{i}");
  if (slot != std::string::npos) out.replace(slot, 3, std::to_string(layer));
  return out;
}

}  // namespace

std::optional<GgufTensorName> gguf_name_for(const ModelConfig& config, std::string_view hf_name) {
  for (const Template& t : templates(config.model_type)) {
    if (auto layer = match(t.hf, hf_name)) {
      return GgufTensorName{fill(t.gguf, *layer), t.file, t.transform, t.force_f32, *layer};
    }
  }
  return std::nullopt;
}

std::optional<GgufTensorName> hf_name_for(std::string_view model_type, GgufFileKind file, std::string_view gguf_name) {
  for (const Template& t : templates(model_type)) {
    if (t.file != file) continue;
    if (auto layer = match(t.gguf, gguf_name)) {
      return GgufTensorName{fill(t.hf, *layer), t.file, t.transform, t.force_f32, *layer};
    }
  }
  return std::nullopt;
}

std::vector<std::string> gguf_name_table_lines() {
  std::vector<std::string> out;
  for (const Template& t : templates("gemma4")) out.push_back(t.hf + " -> " + t.gguf);
  return out;
}

}  // namespace hfb::gemma4_gguf
