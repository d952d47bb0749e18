// Gemma 4 text config -> TextConfig with one fully resolved TextLayerSpec per decoder layer. Follows
// Gemma4TextConfig.__post_init__ and the attention/MLP constructors of modeling_gemma4.py (HF decba1d).
#include <array>
#include <cctype>
#include <cmath>

#include "core/limits.h"
#include "models/gemma4/gemma4_config_internal.h"

namespace hfb::gemma4_config_detail {
namespace {

using nlohmann::json;

constexpr const char* kSlidingName = "sliding_attention";
constexpr const char* kFullName = "full_attention";
constexpr int kDefaultSlidingPattern = 6;  // HF: layer i is full iff (i + 1) % 6 == 0
constexpr int kDefaultGlobalHeadDim = 512;

const char* type_key(AttentionType type) { return type == AttentionType::kFull ? kFullName : kSlidingName; }

/// Geometry a layer may override (per_layer_config, or the release keys for full layers).
struct LayerOverride {
  std::optional<int> head_dim;
  std::optional<int> num_kv_heads;
};

/// enable_moe_block with num_experts, top_k_experts, moe_intermediate_size (Gemma4TextConfig, 26B-A4B).
Status parse_moe(const ConfigView& view, TextConfig* text) {
  HFB_TRY(text->enable_moe_block, view.get_bool("enable_moe_block", false));
  if (!text->enable_moe_block) return ok_status();
  HFB_TRY(text->num_experts, view.get_positive_int("num_experts"));
  HFB_TRY(text->top_k_experts, view.get_positive_int("top_k_experts"));
  HFB_TRY(text->moe_intermediate_size, view.get_positive_int("moe_intermediate_size"));
  if (text->top_k_experts > text->num_experts) {
    return view.invalid("top_k_experts", std::to_string(text->top_k_experts) + " exceeds num_experts " +
                                             std::to_string(text->num_experts));
  }
  return ok_status();
}

/// use_bidirectional_attention: null (causal) or "vision" (HF create_masks_for_vision_model); "all" is
/// Gemma 3's every-layer bidirectional mode, which Gemma 4's released models never use.
Status parse_bidirectional(const ConfigView& view, TextConfig* text) {
  const json* bidi = view.find("use_bidirectional_attention");
  if (!bidi) return ok_status();
  if (bidi->is_string() && bidi->get<std::string>() == "vision") {
    text->bidirectional_attention = "vision";
    return ok_status();
  }
  return view.unsupported("use_bidirectional_attention",
                          json_kind(*bidi) + " is not supported (null: causal, or \"vision\": image blocks see "
                                             "each other on sliding layers; \"all\" is not implemented)");
}

Status check_unsupported_features(const ConfigView& view) {
  HFB_TRY(bool bias, view.get_bool("attention_bias", false));
  if (bias) return view.unsupported("attention_bias", "attention projections with biases are not supported");
  return ok_status();
}

Result<std::vector<AttentionType>> resolve_layer_types(const ConfigView& view, int num_layers,
                                                       std::vector<Diagnostic>* diagnostics) {
  std::vector<AttentionType> types;
  const json* list = view.find("layer_types");
  if (!list) {
    for (int i = 0; i < num_layers; ++i) {
      types.push_back((i + 1) % kDefaultSlidingPattern ? AttentionType::kSliding : AttentionType::kFull);
    }
  } else {
    if (!list->is_array()) return view.invalid("layer_types", "expected a list of strings, got " + json_kind(*list));
    if (list->size() != static_cast<size_t>(num_layers)) {
      return view.invalid("layer_types", "has " + std::to_string(list->size()) + " entries, but num_hidden_layers is " +
                                             std::to_string(num_layers));
    }
    for (size_t i = 0; i < list->size(); ++i) {
      const json& item = (*list)[i];
      if (item.is_string() && item.get<std::string>() == kSlidingName) {
        types.push_back(AttentionType::kSliding);
      } else if (item.is_string() && item.get<std::string>() == kFullName) {
        types.push_back(AttentionType::kFull);
      } else {
        return view.unsupported("layer_types", "item " + std::to_string(i) + ": " + json_kind(item) +
                                                   " (expected 'sliding_attention' or 'full_attention')");
      }
    }
  }
  if (types.back() != AttentionType::kFull) {
    types.back() = AttentionType::kFull;  // HF __post_init__ forces it, with a warning
    if (diagnostics) {
      diagnostics->push_back({Diagnostic::Severity::kWarning,
                              view.path() + ": " + view.key_name("layer_types") +
                                  ": the last layer must be full attention; treated as full (as HF does)",
                              ""});
    }
  }
  return types;
}

Result<int> parse_layer_key(const ConfigView& view, const std::string& key, int num_layers) {
  bool digits = !key.empty() && key.size() <= 9;
  for (char c : key) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (!digits) return view.invalid("per_layer_config", "key '" + key + "' is not a layer index");
  const int layer = std::stoi(key);
  if (layer >= num_layers) {
    return view.invalid("per_layer_config", "layer " + key + " is outside [0, " + std::to_string(num_layers) + ")");
  }
  return layer;
}

/// Current format: sparse `per_layer_config` overrides, any layer.
Result<std::vector<LayerOverride>> parse_per_layer_config(const ConfigView& view, int num_layers) {
  std::vector<LayerOverride> overrides(num_layers);
  const json* map = view.find("per_layer_config");
  if (!map) return overrides;  // null: homogeneous
  if (!map->is_object()) return view.invalid("per_layer_config", "expected an object, got " + json_kind(*map));
  for (const auto& [key, value] : map->items()) {
    HFB_TRY(int layer, parse_layer_key(view, key, num_layers));
    const ConfigView map_view(*map, view.path(), view.key_name("per_layer_config."));
    HFB_TRY(std::optional<ConfigView> entry, map_view.get_object(key));
    if (!entry) continue;
    for (const auto& item : value.items()) {
      if (item.key() != "head_dim" && item.key() != "num_key_value_heads") {
        return entry->unsupported(item.key(), "per-layer override of '" + item.key() + "' is not supported");
      }
    }
    if (entry->has("head_dim")) {
      HFB_TRY(overrides[layer].head_dim, entry->get_limited_int("head_dim", limits().max_dim, "dim"));
    }
    if (entry->has("num_key_value_heads")) {
      HFB_TRY(overrides[layer].num_kv_heads, entry->get_limited_int("num_key_value_heads", limits().max_heads, "heads"));
    }
  }
  return overrides;
}

/// Release format: global_head_dim (default 512) on every full layer; num_global_key_value_heads only with
/// attention_k_eq_v (HF Gemma4TextConfig.__post_init__).
Result<std::vector<LayerOverride>> parse_release_keys(const ConfigView& view, const std::vector<AttentionType>& types) {
  HFB_TRY(int global_head_dim, view.get_limited_int("global_head_dim", limits().max_dim, "dim", kDefaultGlobalHeadDim));
  HFB_TRY(bool k_eq_v, view.get_bool("attention_k_eq_v", false));
  std::optional<int> global_kv;
  if (k_eq_v && view.has("num_global_key_value_heads")) {
    HFB_TRY(global_kv, view.get_limited_int("num_global_key_value_heads", limits().max_heads, "heads"));
  }
  std::vector<LayerOverride> overrides(types.size());
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i] != AttentionType::kFull) continue;
    overrides[i].head_dim = global_head_dim;
    overrides[i].num_kv_heads = global_kv;
  }
  return overrides;
}

Result<RopeSpec> parse_rope_entry(const ConfigView& rope, const std::string& key) {
  HFB_TRY(std::optional<ConfigView> entry, rope.get_object(key));
  if (!entry) return rope.invalid(key, "missing (every layer type needs its RoPE parameters)");
  RopeSpec spec;
  HFB_TRY(std::string type, entry->get_string("rope_type"));
  HFB_TRY(spec.theta, entry->get_double("rope_theta"));
  if (spec.theta <= 0.0) return entry->invalid("rope_theta", "must be positive");
  if (type == "default") return spec;  // Gemma 4's default RoPE always rotates the whole head
  if (type != "proportional") {
    return entry->unsupported("rope_type", "'" + type + "' is not supported (default, proportional)");
  }
  spec.type = RopeType::kProportional;
  HFB_TRY(spec.partial_rotary_factor, entry->get_double("partial_rotary_factor", 1.0));
  if (!(spec.partial_rotary_factor > 0.0 && spec.partial_rotary_factor <= 1.0)) {
    return entry->invalid("partial_rotary_factor", "must be in (0, 1]");
  }
  HFB_TRY(double factor, entry->get_double("factor", 1.0));
  if (factor != 1.0) return entry->unsupported("factor", "proportional RoPE with factor != 1 is not supported");
  return spec;
}

/// RoPE per layer type, indexed by AttentionType; HF defaults when rope_parameters is absent.
Result<std::array<RopeSpec, 2>> parse_rope(const ConfigView& view, const std::vector<AttentionType>& types) {
  std::array<RopeSpec, 2> ropes;
  ropes[static_cast<int>(AttentionType::kSliding)] = RopeSpec{RopeType::kDefault, 10000.0, 1.0};
  ropes[static_cast<int>(AttentionType::kFull)] = RopeSpec{RopeType::kProportional, 1000000.0, 0.25};
  HFB_TRY(std::optional<ConfigView> rope, view.get_object("rope_parameters"));
  if (!rope) return ropes;
  for (AttentionType type : {AttentionType::kSliding, AttentionType::kFull}) {
    bool used = false;
    for (AttentionType t : types) used = used || t == type;
    if (!used) continue;
    HFB_TRY(ropes[static_cast<int>(type)], parse_rope_entry(*rope, type_key(type)));
  }
  return ropes;
}

/// The source of a kv-shared layer: the last non-shared layer of the same attention type.
Result<int> kv_source(const ConfigView& view, const std::vector<AttentionType>& types, int layer, int first_shared) {
  for (int j = first_shared - 1; j >= 0; --j) {
    if (types[j] == types[layer]) return j;
  }
  return view.invalid("num_kv_shared_layers", "layer " + std::to_string(layer) + " (" + type_key(types[layer]) +
                                                  ") is kv-shared, but no earlier non-shared layer has that type");
}

Status check_layer(const ConfigView& view, const TextLayerSpec& spec, const std::vector<TextLayerSpec>& layers) {
  const std::string where = "layer " + std::to_string(spec.index);
  if (spec.num_heads % spec.num_kv_heads != 0) {
    return view.invalid("num_key_value_heads", where + ": " + std::to_string(spec.num_kv_heads) +
                                                   " kv heads do not divide num_attention_heads " +
                                                   std::to_string(spec.num_heads));
  }
  for (const TextLayerSpec& other : layers) {  // compared with the first layer of its type only: linear
    if (other.attention != spec.attention) continue;
    const bool differs = other.head_dim != spec.head_dim || other.num_kv_heads != spec.num_kv_heads;
    if (!differs) break;
    return view.unsupported("per_layer_config", where + " and layer " + std::to_string(other.index) + " (" +
                                                    type_key(spec.attention) +
                                                    ") differ in head_dim or kv heads (HF needs one geometry per "
                                                    "layer type)");
  }
  return ok_status();
}

}  // namespace

Status resolve_text_layers(const ConfigView& view, TextConfig* text, std::vector<Diagnostic>* diagnostics) {
  const int num_layers = text->num_hidden_layers;
  HFB_TRY(std::vector<AttentionType> types, resolve_layer_types(view, num_layers, diagnostics));
  std::vector<LayerOverride> overrides;
  if (view.find("per_layer_config") || view.is_null("per_layer_config")) {
    HFB_TRY(overrides, parse_per_layer_config(view, num_layers));
  } else {
    HFB_TRY(overrides, parse_release_keys(view, types));
  }
  HFB_TRY(auto ropes, parse_rope(view, types));
  HFB_TRY(int head_dim, view.get_limited_int("head_dim", limits().max_dim, "dim"));
  HFB_TRY(int num_kv_heads, view.get_limited_int("num_key_value_heads", limits().max_heads, "heads"));
  HFB_TRY(int intermediate_size, view.get_limited_int("intermediate_size", limits().max_dim, "dim"));
  HFB_TRY(bool k_eq_v, view.get_bool("attention_k_eq_v", false));
  HFB_TRY(bool double_wide, view.get_bool("use_double_wide_mlp", false));
  const int first_shared = num_layers - text->num_kv_shared_layers;
  text->layers.clear();
  for (int i = 0; i < num_layers; ++i) {
    TextLayerSpec spec;
    spec.index = i;
    spec.attention = types[i];
    spec.head_dim = overrides[i].head_dim.value_or(head_dim);
    spec.num_heads = text->num_attention_heads;
    spec.num_kv_heads = overrides[i].num_kv_heads.value_or(num_kv_heads);
    const bool shared = i >= first_shared;
    if (shared) {
      HFB_TRY(spec.kv_shared_from, kv_source(view, types, i, first_shared));
    }
    spec.k_eq_v = k_eq_v && types[i] == AttentionType::kFull;
    // HF Gemma4TextMLP: double width only when some layers keep their own K/V (first_shared > 0).
    spec.intermediate_size = intermediate_size * (double_wide && shared && first_shared > 0 ? 2 : 1);
    spec.rope = ropes[static_cast<int>(types[i])];
    HFB_TRY(check_layer(view, spec, text->layers));
    text->layers.push_back(spec);
  }
  return ok_status();
}

Status parse_text_config(const ConfigView& view, TextConfig* text, std::vector<Diagnostic>* diagnostics) {
  HFB_TRY(check_unsupported_features(view));
  HFB_TRY(text->num_hidden_layers, view.get_limited_int("num_hidden_layers", limits().max_layers, "layers"));
  HFB_TRY(text->hidden_size, view.get_limited_int("hidden_size", limits().max_dim, "dim"));
  HFB_TRY(text->vocab_size, view.get_limited_int("vocab_size", limits().max_vocab, "vocab"));
  HFB_TRY(text->num_attention_heads, view.get_limited_int("num_attention_heads", limits().max_heads, "heads"));
  HFB_TRY(text->hidden_size_per_layer_input, view.get_int("hidden_size_per_layer_input", 256));
  if (text->hidden_size_per_layer_input < 0) {
    return view.invalid("hidden_size_per_layer_input", "must not be negative");
  }
  // The large models (31B, 26B-A4B) have no per-layer embeddings and write vocab_size_per_layer_input 0.
  HFB_TRY(text->vocab_size_per_layer_input, view.get_int("vocab_size_per_layer_input", 262144));
  if (text->vocab_size_per_layer_input < 0 ||
      (text->hidden_size_per_layer_input > 0 && text->vocab_size_per_layer_input == 0)) {
    return view.invalid("vocab_size_per_layer_input", "must be positive when hidden_size_per_layer_input is");
  }
  {
    Status limited = check_limit("vocab_size_per_layer_input", static_cast<uint64_t>(text->vocab_size_per_layer_input),
                                 static_cast<uint64_t>(limits().max_vocab), "vocab");
    if (!limited.ok()) return std::move(limited).error();
  }
  HFB_TRY(text->num_kv_shared_layers, view.get_int("num_kv_shared_layers", 0));
  if (text->num_kv_shared_layers < 0 || text->num_kv_shared_layers > text->num_hidden_layers) {
    return view.invalid("num_kv_shared_layers", std::to_string(text->num_kv_shared_layers) + " is outside [0, " +
                                                    std::to_string(text->num_hidden_layers) + "]");
  }
  HFB_TRY(text->sliding_window, view.get_limited_int("sliding_window", limits().max_window, "window", 512));
  HFB_TRY(text->rms_norm_eps, view.get_double("rms_norm_eps", 1e-6));
  if (!(text->rms_norm_eps > 0.0) || !std::isfinite(text->rms_norm_eps)) {
    return view.invalid("rms_norm_eps", "expected a positive finite number, got " + std::to_string(text->rms_norm_eps));
  }
  HFB_TRY(text->final_logit_softcapping, view.get_double("final_logit_softcapping", 0.0));
  if (text->final_logit_softcapping < 0.0) return view.invalid("final_logit_softcapping", "must not be negative");
  HFB_TRY(text->tie_word_embeddings, view.get_bool("tie_word_embeddings", true));
  HFB_TRY(text->hidden_activation, view.get_string("hidden_activation", std::string("gelu_pytorch_tanh")));
  const std::string& act = text->hidden_activation;
  if (act != "gelu_pytorch_tanh" && act != "gelu_tanh" && act != "silu") {
    return view.unsupported("hidden_activation", "'" + act + "' (supported: gelu_pytorch_tanh, gelu_tanh, silu)");
  }
  HFB_TRY(text->pad_token_id, view.get_int("pad_token_id", 0));
  HFB_TRY(text->max_position_embeddings, view.get_positive_int("max_position_embeddings", 131072));
  HFB_TRY(parse_moe(view, text));
  HFB_TRY(parse_bidirectional(view, text));
  return resolve_text_layers(view, text, diagnostics);
}

}  // namespace hfb::gemma4_config_detail
