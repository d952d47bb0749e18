// Gemma 4 audio_config / vision_config -> AudioConfig / VisionConfig (defaults of configuration_gemma4.py).
#include "models/gemma4/gemma4_config_internal.h"

namespace hfb::gemma4_config_detail {
namespace {

Status check_heads_divide(const ConfigView& view, int hidden_size, int num_heads) {
  if (hidden_size % num_heads != 0) {
    return view.invalid("num_attention_heads", std::to_string(num_heads) + " heads do not divide hidden_size " +
                                                   std::to_string(hidden_size));
  }
  return ok_status();
}

Status parse_audio_attention(const ConfigView& view, AudioConfig* audio) {
  HFB_TRY(audio->attention_chunk_size, view.get_positive_int("attention_chunk_size", 12));
  HFB_TRY(audio->attention_context_left, view.get_positive_int("attention_context_left", 13));
  HFB_TRY(audio->attention_context_right, view.get_int("attention_context_right", 0));
  if (audio->attention_context_right < 0) return view.invalid("attention_context_right", "must not be negative");
  HFB_TRY(audio->attention_logit_cap, view.get_double("attention_logit_cap", 50.0));
  HFB_TRY(audio->attention_invalid_logits_value, view.get_double("attention_invalid_logits_value", -1.0e9));
  return ok_status();
}

}  // namespace

Result<AudioConfig> parse_audio_config(const ConfigView& view) {
  AudioConfig audio;
  HFB_TRY(audio.hidden_size, view.get_positive_int("hidden_size"));
  HFB_TRY(audio.num_hidden_layers, view.get_positive_int("num_hidden_layers"));
  HFB_TRY(audio.num_attention_heads, view.get_positive_int("num_attention_heads"));
  HFB_TRY(check_heads_divide(view, audio.hidden_size, audio.num_attention_heads));
  HFB_TRY(audio.subsampling_conv_channels, view.get_int_list("subsampling_conv_channels", {128, 32}));
  if (audio.subsampling_conv_channels.size() != 2 || audio.subsampling_conv_channels[0] <= 0 ||
      audio.subsampling_conv_channels[1] <= 0) {
    return view.invalid("subsampling_conv_channels", "expected two positive channel counts");
  }
  if (audio.subsampling_conv_channels[0] < 4) {
    return view.invalid("subsampling_conv_channels", "the first channel count must be at least 4 (input_proj_linear "
                                                     "takes (channels[0] / 4) * channels[1] features)");
  }
  HFB_TRY(audio.conv_kernel_size, view.get_positive_int("conv_kernel_size", 5));
  HFB_TRY(audio.residual_weight, view.get_double("residual_weight", 0.5));
  HFB_TRY(parse_audio_attention(view, &audio));
  HFB_TRY(audio.use_clipped_linears, view.get_bool("use_clipped_linears", true));
  HFB_TRY(audio.rms_norm_eps, view.get_double("rms_norm_eps", 1e-6));
  HFB_TRY(audio.gradient_clipping, view.get_double("gradient_clipping", 1e10));
  HFB_TRY(audio.output_proj_dims, view.get_positive_int("output_proj_dims", 1536));
  HFB_TRY(audio.hidden_act, view.get_string("hidden_act", std::string("silu")));
  return audio;
}

Result<VisionConfig> parse_vision_config(const ConfigView& view) {
  VisionConfig vision;
  HFB_TRY(vision.hidden_size, view.get_positive_int("hidden_size"));
  HFB_TRY(vision.intermediate_size, view.get_positive_int("intermediate_size"));
  HFB_TRY(vision.num_hidden_layers, view.get_positive_int("num_hidden_layers"));
  HFB_TRY(vision.num_attention_heads, view.get_positive_int("num_attention_heads"));
  HFB_TRY(vision.num_key_value_heads, view.get_positive_int("num_key_value_heads"));
  if (vision.num_attention_heads % vision.num_key_value_heads != 0) {
    return view.invalid("num_key_value_heads", std::to_string(vision.num_key_value_heads) +
                                                   " kv heads do not divide num_attention_heads " +
                                                   std::to_string(vision.num_attention_heads));
  }
  HFB_TRY(vision.head_dim, view.get_positive_int("head_dim"));
  HFB_TRY(vision.hidden_activation, view.get_string("hidden_activation", std::string("gelu_pytorch_tanh")));
  HFB_TRY(vision.rms_norm_eps, view.get_double("rms_norm_eps", 1e-6));
  HFB_TRY(std::optional<ConfigView> rope, view.get_object("rope_parameters"));
  if (rope) {
    HFB_TRY(std::string type, rope->get_string("rope_type", std::string("default")));
    if (type != "default") return rope->unsupported("rope_type", "'" + type + "' is not supported (default)");
    HFB_TRY(vision.rope_theta, rope->get_double("rope_theta", 100.0));
  }
  HFB_TRY(vision.pooling_kernel_size, view.get_positive_int("pooling_kernel_size", 3));
  HFB_TRY(vision.patch_size, view.get_positive_int("patch_size", 16));
  HFB_TRY(vision.position_embedding_size, view.get_positive_int("position_embedding_size", 10 * 1024));
  HFB_TRY(vision.use_clipped_linears, view.get_bool("use_clipped_linears", false));
  HFB_TRY(vision.standardize, view.get_bool("standardize", false));
  return vision;
}

}  // namespace hfb::gemma4_config_detail
