// The exact tensor list of a Gemma 4 checkpoint for a given config (names as modeling_gemma4.py saves them).
#include <string>

#include "models/gemma4/gemma4_tensors.h"

namespace hfb {
namespace {

constexpr const char* kCausalLmTextPrefix = "model.";
constexpr const char* kMultimodalTextPrefix = "model.language_model.";
constexpr const char* kAudioPrefix = "model.audio_tower.";
constexpr const char* kVisionPrefix = "model.vision_tower.";
constexpr const char* kClipBoundNames[] = {"input_min", "input_max", "output_min", "output_max"};

std::string num(int64_t v) { return std::to_string(v); }

/// Collects expected tensors of one tower with the key prefix its shape sources use ("text_config.").
class ExpectedList {
 public:
  ExpectedList(std::vector<ExpectedTensor>* out, Tower tower, std::string key_prefix)
      : out_(out), tower_(tower), key_prefix_(std::move(key_prefix)) {}

  /// "text_config.hidden_size=72"
  std::string key(const std::string& name, int64_t value) const { return key_prefix_ + name + "=" + num(value); }

  ExpectedTensor& add(std::string name, Shape shape, Role role, int layer, std::string source,
                      TensorPresence presence = TensorPresence::kRequired, std::string unused_reason = "") {
    ExpectedTensor t;
    t.name = std::move(name);
    t.shape = std::move(shape);
    t.role = role;
    t.tower = tower_;
    t.layer = layer;
    t.presence = presence;
    t.unused_reason = std::move(unused_reason);
    t.shape_source = std::move(source);
    out_->push_back(std::move(t));
    return out_->back();
  }

  /// A Gemma4ClippableLinear: `<module>.linear.weight` plus its four 0-dim clip bounds.
  void add_clippable(const std::string& module, Shape shape, Role role, int layer, const std::string& source,
                     bool clipped) {
    add(module + "linear.weight", std::move(shape), role, layer, source);
    const std::string flag = key_prefix_ + "use_clipped_linears";
    for (const char* bound : kClipBoundNames) {
      if (clipped) {
        add(module + bound, Shape{}, Role::kClipBound, layer, "a scalar bound", TensorPresence::kClipBound);
      } else {
        add(module + bound, Shape{}, Role::kClipBound, layer, "a scalar bound", TensorPresence::kUnused,
            flag + " is false: HF never reads this clip bound");
      }
    }
  }

 private:
  std::vector<ExpectedTensor>* out_;
  Tower tower_;
  std::string key_prefix_;
};

/// The routed block of a MoE layer (Gemma4TextRouter, Gemma4TextExperts): 3-D expert banks, no .weight suffix.
void add_moe_block(const TextConfig& text, const std::string& p, int i, ExpectedList& list) {
  const int64_t h = text.hidden_size;
  const int64_t e = text.num_experts;
  const int64_t inter = text.moe_intermediate_size;
  const std::string hs = list.key("hidden_size", h);
  const std::string es = list.key("num_experts", e);
  const std::string is = list.key("moe_intermediate_size", inter);
  list.add(p + "router.proj.weight", Shape{e, h}, Role::kMoeRouter, i, es + ", " + hs);
  list.add(p + "router.scale", Shape{h}, Role::kMoeRouter, i, hs);
  list.add(p + "router.per_expert_scale", Shape{e}, Role::kMoeExpertScale, i, es);
  list.add(p + "experts.gate_up_proj", Shape{e, 2 * inter, h}, Role::kMoeGateUp, i, es + ", 2 * " + is + ", " + hs);
  list.add(p + "experts.down_proj", Shape{e, h, inter}, Role::kMoeDown, i, es + ", " + hs + ", " + is);
  for (const char* norm : {"pre_feedforward_layernorm_2", "post_feedforward_layernorm_1", "post_feedforward_layernorm_2"}) {
    list.add(p + norm + ".weight", Shape{h}, Role::kNorm, i, hs);
  }
}

void add_text_layer(const TextConfig& text, const TextLayerSpec& spec, const std::string& prefix, ExpectedList& list) {
  const int i = spec.index;
  const std::string p = prefix + "layers." + num(i) + ".";
  const int64_t h = text.hidden_size;
  const int64_t q_width = static_cast<int64_t>(spec.num_heads) * spec.head_dim;
  const int64_t kv_width = static_cast<int64_t>(spec.num_kv_heads) * spec.head_dim;
  const std::string hs = list.key("hidden_size", h);
  const std::string hd = "head_dim=" + num(spec.head_dim) + " (layer " + num(i) + ", " +
                         (spec.attention == AttentionType::kFull ? "full" : "sliding") + " attention)";
  const std::string q_src = list.key("num_attention_heads", spec.num_heads) + ", " + hd + ", " + hs;
  const std::string kv_src = "num_key_value_heads=" + num(spec.num_kv_heads) + ", " + hd + ", " + hs;
  for (const char* norm : {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                           "post_feedforward_layernorm"}) {
    list.add(p + norm + ".weight", Shape{h}, Role::kNorm, i, hs);
  }
  list.add(p + "layer_scalar", Shape{1}, Role::kLayerScalar, i, "one scalar per layer");
  list.add(p + "self_attn.q_proj.weight", Shape{q_width, h}, Role::kAttnQ, i, q_src);
  list.add(p + "self_attn.q_norm.weight", Shape{spec.head_dim}, Role::kAttnQNorm, i, hd);
  list.add(p + "self_attn.o_proj.weight", Shape{h, q_width}, Role::kAttnO, i, q_src);
  if (spec.kv_shared_from < 0) {
    list.add(p + "self_attn.k_proj.weight", Shape{kv_width, h}, Role::kAttnK, i, kv_src);
    list.add(p + "self_attn.k_norm.weight", Shape{spec.head_dim}, Role::kAttnKNorm, i, hd);
    if (!spec.k_eq_v) list.add(p + "self_attn.v_proj.weight", Shape{kv_width, h}, Role::kAttnV, i, kv_src);
  } else {
    const std::string why = "kv-shared layer " + num(i) + " reads layer " + num(spec.kv_shared_from) +
                            "'s K/V (release-layout extra, HF ignores it)";
    const auto unused = TensorPresence::kUnused;
    list.add(p + "self_attn.k_proj.weight", Shape{kv_width, h}, Role::kAttnK, i, kv_src, unused, why);
    list.add(p + "self_attn.v_proj.weight", Shape{kv_width, h}, Role::kAttnV, i, kv_src, unused, why);
    list.add(p + "self_attn.k_norm.weight", Shape{spec.head_dim}, Role::kAttnKNorm, i, hd, unused, why);
    list.add(p + "self_attn.v_norm.weight", Shape{spec.head_dim}, Role::kAttnVNorm, i, hd, unused, why);
  }
  const int64_t width = spec.intermediate_size;
  const bool doubled = width != text.layers.front().intermediate_size;  // layer 0 is never doubled
  const std::string mlp_src =
      (doubled ? list.key("intermediate_size", width / 2) + " doubled (use_double_wide_mlp)"
               : list.key("intermediate_size", width)) + ", " + hs;
  list.add(p + "mlp.gate_proj.weight", Shape{width, h}, Role::kMlpGate, i, mlp_src);
  list.add(p + "mlp.up_proj.weight", Shape{width, h}, Role::kMlpUp, i, mlp_src);
  list.add(p + "mlp.down_proj.weight", Shape{h, width}, Role::kMlpDown, i, mlp_src);
  if (text.enable_moe_block) add_moe_block(text, p, i, list);
  if (text.hidden_size_per_layer_input > 0) {
    const int64_t ple = text.hidden_size_per_layer_input;
    const std::string ple_src = list.key("hidden_size_per_layer_input", ple) + ", " + hs;
    list.add(p + "per_layer_input_gate.weight", Shape{ple, h}, Role::kPleGate, i, ple_src);
    list.add(p + "per_layer_projection.weight", Shape{h, ple}, Role::kPleLayerProjection, i, ple_src);
    list.add(p + "post_per_layer_input_norm.weight", Shape{h}, Role::kNorm, i, hs);
  }
}

void add_text(const ModelConfig& config, std::vector<ExpectedTensor>* out) {
  const bool multimodal = config.model_type == "gemma4";
  const TextConfig& text = config.text;
  ExpectedList list(out, Tower::kText, multimodal ? "text_config." : "");
  const std::string prefix = multimodal ? kMultimodalTextPrefix : kCausalLmTextPrefix;
  const int64_t h = text.hidden_size;
  const std::string hs = list.key("hidden_size", h);
  const std::string vocab_src = list.key("vocab_size", text.vocab_size) + ", " + hs;
  list.add(prefix + "embed_tokens.weight", Shape{text.vocab_size, h}, Role::kTokenEmbedding, -1, vocab_src);
  if (text.hidden_size_per_layer_input > 0) {
    const int64_t packed = static_cast<int64_t>(text.num_hidden_layers) * text.hidden_size_per_layer_input;
    const std::string packed_src = list.key("num_hidden_layers", text.num_hidden_layers) + " * " +
                                   list.key("hidden_size_per_layer_input", text.hidden_size_per_layer_input);
    list.add(prefix + "embed_tokens_per_layer.weight", Shape{text.vocab_size_per_layer_input, packed},
             Role::kPleTable, -1, list.key("vocab_size_per_layer_input", text.vocab_size_per_layer_input) + ", " +
                                      packed_src);
    list.add(prefix + "per_layer_model_projection.weight", Shape{packed, h}, Role::kPleProjection, -1,
             packed_src + ", " + hs);
    list.add(prefix + "per_layer_projection_norm.weight", Shape{text.hidden_size_per_layer_input}, Role::kNorm, -1,
             list.key("hidden_size_per_layer_input", text.hidden_size_per_layer_input));
  }
  for (const TextLayerSpec& spec : text.layers) add_text_layer(text, spec, prefix, list);
  list.add(prefix + "norm.weight", Shape{h}, Role::kNorm, -1, hs);
  if (text.tie_word_embeddings) {
    list.add("lm_head.weight", Shape{text.vocab_size, h}, Role::kLmHead, -1, vocab_src, TensorPresence::kUnused,
             "tie_word_embeddings is true: the head is " + prefix + "embed_tokens.weight");
  } else {
    list.add("lm_head.weight", Shape{text.vocab_size, h}, Role::kLmHead, -1, vocab_src);
  }
}

void add_audio_layer(const AudioConfig& audio, int i, ExpectedList& list) {
  const std::string p = std::string(kAudioPrefix) + "layers." + num(i) + ".";
  const int64_t h = audio.hidden_size;
  const bool clip = audio.use_clipped_linears;
  const std::string hs = list.key("hidden_size", h);
  const std::string ffw_src = "4 * " + hs;
  for (const char* ff : {"feed_forward1.", "feed_forward2."}) {
    list.add(p + ff + "pre_layer_norm.weight", Shape{h}, Role::kNorm, i, hs);
    list.add_clippable(p + ff + "ffw_layer_1.", Shape{4 * h, h}, Role::kMlpUp, i, ffw_src, clip);
    list.add_clippable(p + ff + "ffw_layer_2.", Shape{h, 4 * h}, Role::kMlpDown, i, ffw_src, clip);
    list.add(p + ff + "post_layer_norm.weight", Shape{h}, Role::kNorm, i, hs);
  }
  list.add_clippable(p + "self_attn.q_proj.", Shape{h, h}, Role::kAttnQ, i, hs, clip);
  list.add_clippable(p + "self_attn.k_proj.", Shape{h, h}, Role::kAttnK, i, hs, clip);
  list.add_clippable(p + "self_attn.v_proj.", Shape{h, h}, Role::kAttnV, i, hs, clip);
  list.add_clippable(p + "self_attn.post.", Shape{h, h}, Role::kAttnO, i, hs, clip);
  list.add(p + "self_attn.relative_k_proj.weight", Shape{h, h}, Role::kAudioRelativeKProjection, i, hs);
  const int64_t head_dim = h / audio.num_attention_heads;
  list.add(p + "self_attn.per_dim_scale", Shape{head_dim}, Role::kAudioPerDimScale, i,
           hs + " / " + list.key("num_attention_heads", audio.num_attention_heads));
  list.add(p + "lconv1d.pre_layer_norm.weight", Shape{h}, Role::kNorm, i, hs);
  list.add_clippable(p + "lconv1d.linear_start.", Shape{2 * h, h}, Role::kAudioLconvStart, i, "2 * " + hs, clip);
  list.add(p + "lconv1d.depthwise_conv1d.weight", Shape{h, 1, audio.conv_kernel_size}, Role::kAudioDepthwiseConv, i,
           hs + ", " + list.key("conv_kernel_size", audio.conv_kernel_size));
  list.add(p + "lconv1d.conv_norm.weight", Shape{h}, Role::kNorm, i, hs);
  list.add_clippable(p + "lconv1d.linear_end.", Shape{h, h}, Role::kAudioLconvEnd, i, hs, clip);
  for (const char* norm : {"norm_pre_attn", "norm_post_attn", "norm_out"}) {
    list.add(p + norm + ".weight", Shape{h}, Role::kNorm, i, hs);
  }
}

void add_audio(const ModelConfig& config, std::vector<ExpectedTensor>* out) {
  const AudioConfig& audio = *config.audio;
  ExpectedList list(out, Tower::kAudio, "audio_config.");
  const std::string p = std::string(kAudioPrefix) + "subsample_conv_projection.";
  const int64_t c0 = audio.subsampling_conv_channels[0];
  const int64_t c1 = audio.subsampling_conv_channels[1];
  const std::string channels = "audio_config.subsampling_conv_channels=[" + num(c0) + ", " + num(c1) + "]";
  const int64_t h = audio.hidden_size;
  const std::string hs = list.key("hidden_size", h);
  list.add(p + "layer0.conv.weight", Shape{c0, 1, 3, 3}, Role::kAudioSubsampleConv, -1, channels);
  list.add(p + "layer0.norm.weight", Shape{c0}, Role::kNorm, -1, channels);
  list.add(p + "layer1.conv.weight", Shape{c1, c0, 3, 3}, Role::kAudioSubsampleConv, -1, channels);
  list.add(p + "layer1.norm.weight", Shape{c1}, Role::kNorm, -1, channels);
  list.add(p + "input_proj_linear.weight", Shape{h, (c0 / 4) * c1}, Role::kAudioInputProjection, -1,
           hs + ", (channels[0] / 4) * channels[1] with " + channels);
  for (int i = 0; i < audio.num_hidden_layers; ++i) add_audio_layer(audio, i, list);
  const int64_t out_dims = audio.output_proj_dims;
  const std::string out_src = list.key("output_proj_dims", out_dims) + ", " + hs;
  list.add(std::string(kAudioPrefix) + "output_proj.weight", Shape{out_dims, h}, Role::kAudioOutputProjection, -1,
           out_src);
  list.add(std::string(kAudioPrefix) + "output_proj.bias", Shape{out_dims}, Role::kAudioOutputBias, -1, out_src);
  list.add("model.embed_audio.embedding_projection.weight", Shape{config.text.hidden_size, out_dims},
           Role::kEmbedderProjection, -1,
           "text_config.hidden_size=" + num(config.text.hidden_size) + ", " + list.key("output_proj_dims", out_dims));
}

void add_vision_layer(const VisionConfig& vision, int i, ExpectedList& list) {
  const std::string p = std::string(kVisionPrefix) + "encoder.layers." + num(i) + ".";
  const int64_t h = vision.hidden_size;
  const bool clip = vision.use_clipped_linears;
  const int64_t q_width = static_cast<int64_t>(vision.num_attention_heads) * vision.head_dim;
  const int64_t kv_width = static_cast<int64_t>(vision.num_key_value_heads) * vision.head_dim;
  const std::string hs = list.key("hidden_size", h);
  const std::string hd = list.key("head_dim", vision.head_dim);
  const std::string q_src = list.key("num_attention_heads", vision.num_attention_heads) + ", " + hd + ", " + hs;
  const std::string kv_src = list.key("num_key_value_heads", vision.num_key_value_heads) + ", " + hd + ", " + hs;
  const std::string mlp_src = list.key("intermediate_size", vision.intermediate_size) + ", " + hs;
  for (const char* norm : {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                           "post_feedforward_layernorm"}) {
    list.add(p + norm + ".weight", Shape{h}, Role::kNorm, i, hs);
  }
  list.add_clippable(p + "self_attn.q_proj.", Shape{q_width, h}, Role::kAttnQ, i, q_src, clip);
  list.add_clippable(p + "self_attn.k_proj.", Shape{kv_width, h}, Role::kAttnK, i, kv_src, clip);
  list.add_clippable(p + "self_attn.v_proj.", Shape{kv_width, h}, Role::kAttnV, i, kv_src, clip);
  list.add_clippable(p + "self_attn.o_proj.", Shape{h, q_width}, Role::kAttnO, i, q_src, clip);
  list.add(p + "self_attn.q_norm.weight", Shape{vision.head_dim}, Role::kAttnQNorm, i, hd);
  list.add(p + "self_attn.k_norm.weight", Shape{vision.head_dim}, Role::kAttnKNorm, i, hd);
  const int64_t width = vision.intermediate_size;
  list.add_clippable(p + "mlp.gate_proj.", Shape{width, h}, Role::kMlpGate, i, mlp_src, clip);
  list.add_clippable(p + "mlp.up_proj.", Shape{width, h}, Role::kMlpUp, i, mlp_src, clip);
  list.add_clippable(p + "mlp.down_proj.", Shape{h, width}, Role::kMlpDown, i, mlp_src, clip);
}

void add_vision(const ModelConfig& config, std::vector<ExpectedTensor>* out) {
  const VisionConfig& vision = *config.vision;
  ExpectedList list(out, Tower::kVision, "vision_config.");
  const std::string p = kVisionPrefix;
  const int64_t h = vision.hidden_size;
  const std::string hs = list.key("hidden_size", h);
  const int64_t patch = vision.patch_size;
  list.add(p + "patch_embedder.input_proj.weight", Shape{h, 3 * patch * patch}, Role::kVisionPatchProjection, -1,
           hs + ", 3 * " + list.key("patch_size", patch) + "^2");
  list.add(p + "patch_embedder.position_embedding_table", Shape{2, vision.position_embedding_size, h},
           Role::kVisionPositionTable, -1,
           list.key("position_embedding_size", vision.position_embedding_size) + ", " + hs);
  for (int i = 0; i < vision.num_hidden_layers; ++i) add_vision_layer(vision, i, list);
  const auto presence = vision.standardize ? TensorPresence::kRequired : TensorPresence::kUnused;
  const std::string why = vision.standardize ? "" : "vision_config.standardize is false: HF never reads it";
  list.add(p + "std_bias", Shape{h}, Role::kVisionStandardizeBias, -1, hs, presence, why);
  list.add(p + "std_scale", Shape{h}, Role::kVisionStandardizeScale, -1, hs, presence, why);
  list.add("model.embed_vision.embedding_projection.weight", Shape{config.text.hidden_size, h},
           Role::kEmbedderProjection, -1, "text_config.hidden_size=" + num(config.text.hidden_size) + ", " + hs);
}

}  // namespace

std::vector<ExpectedTensor> expected_gemma4_tensors(const ModelConfig& config) {
  std::vector<ExpectedTensor> out;
  add_text(config, &out);
  if (config.audio) add_audio(config, &out);
  if (config.vision) add_vision(config, &out);
  return out;
}

}  // namespace hfb
