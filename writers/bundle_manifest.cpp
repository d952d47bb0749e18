// core::ModelConfig -> bundle.proto messages, and deterministic manifest serialisation.
#include "writers/bundle_manifest.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace hfb {
namespace {

void rope_to_proto(const RopeSpec& rope, bundle::RopeSpec* out) {
  out->set_type(rope.type == RopeType::kProportional ? bundle::ROPE_PROPORTIONAL : bundle::ROPE_DEFAULT);
  out->set_theta(rope.theta);
  out->set_partial_rotary_factor(rope.partial_rotary_factor);
}

void layer_to_proto(const TextLayerSpec& layer, bundle::TextLayerSpec* out) {
  out->set_index(layer.index);
  out->set_attention(layer.attention == AttentionType::kFull ? bundle::ATTENTION_FULL : bundle::ATTENTION_SLIDING);
  out->set_head_dim(layer.head_dim);
  out->set_num_heads(layer.num_heads);
  out->set_num_kv_heads(layer.num_kv_heads);
  out->set_kv_shared_from(layer.kv_shared_from);
  out->set_k_eq_v(layer.k_eq_v);
  out->set_intermediate_size(layer.intermediate_size);
  rope_to_proto(layer.rope, out->mutable_rope());
}

void text_to_proto(const TextConfig& text, bundle::TextConfig* out) {
  out->set_num_hidden_layers(text.num_hidden_layers);
  out->set_hidden_size(text.hidden_size);
  out->set_vocab_size(text.vocab_size);
  out->set_vocab_size_per_layer_input(text.vocab_size_per_layer_input);
  out->set_hidden_size_per_layer_input(text.hidden_size_per_layer_input);
  out->set_num_attention_heads(text.num_attention_heads);
  out->set_num_kv_shared_layers(text.num_kv_shared_layers);
  out->set_sliding_window(text.sliding_window);
  out->set_rms_norm_eps(text.rms_norm_eps);
  out->set_final_logit_softcapping(text.final_logit_softcapping);
  out->set_tie_word_embeddings(text.tie_word_embeddings);
  out->set_hidden_activation(text.hidden_activation);
  out->set_pad_token_id(text.pad_token_id);
  out->set_enable_moe_block(text.enable_moe_block);
  out->set_num_experts(text.num_experts);
  out->set_top_k_experts(text.top_k_experts);
  out->set_moe_intermediate_size(text.moe_intermediate_size);
  out->set_bidirectional_attention(text.bidirectional_attention);
  out->set_max_position_embeddings(text.max_position_embeddings);
  for (const TextLayerSpec& layer : text.layers) layer_to_proto(layer, out->add_layers());
}

void audio_to_proto(const AudioConfig& a, bundle::AudioConfig* out) {
  out->set_hidden_size(a.hidden_size);
  out->set_num_hidden_layers(a.num_hidden_layers);
  out->set_num_attention_heads(a.num_attention_heads);
  for (int c : a.subsampling_conv_channels) out->add_subsampling_conv_channels(c);
  out->set_conv_kernel_size(a.conv_kernel_size);
  out->set_residual_weight(a.residual_weight);
  out->set_attention_chunk_size(a.attention_chunk_size);
  out->set_attention_context_left(a.attention_context_left);
  out->set_attention_context_right(a.attention_context_right);
  out->set_attention_logit_cap(a.attention_logit_cap);
  out->set_attention_invalid_logits_value(a.attention_invalid_logits_value);
  out->set_use_clipped_linears(a.use_clipped_linears);
  out->set_rms_norm_eps(a.rms_norm_eps);
  out->set_gradient_clipping(a.gradient_clipping);
  out->set_output_proj_dims(a.output_proj_dims);
  out->set_hidden_act(a.hidden_act);
}

void vision_to_proto(const VisionConfig& v, bundle::VisionConfig* out) {
  out->set_hidden_size(v.hidden_size);
  out->set_intermediate_size(v.intermediate_size);
  out->set_num_hidden_layers(v.num_hidden_layers);
  out->set_num_attention_heads(v.num_attention_heads);
  out->set_num_key_value_heads(v.num_key_value_heads);
  out->set_head_dim(v.head_dim);
  out->set_hidden_activation(v.hidden_activation);
  out->set_rms_norm_eps(v.rms_norm_eps);
  out->set_rope_theta(v.rope_theta);
  out->set_pooling_kernel_size(v.pooling_kernel_size);
  out->set_patch_size(v.patch_size);
  out->set_position_embedding_size(v.position_embedding_size);
  out->set_use_clipped_linears(v.use_clipped_linears);
  out->set_standardize(v.standardize);
}

}  // namespace

void config_to_proto(const ModelConfig& config, bundle::ModelConfig* out) {
  out->Clear();
  out->set_architecture(config.architecture);
  out->set_model_type(config.model_type);
  text_to_proto(config.text, out->mutable_text());
  if (config.audio) audio_to_proto(*config.audio, out->mutable_audio());
  if (config.vision) vision_to_proto(*config.vision, out->mutable_vision());
  bundle::GenerationConfig* gen = out->mutable_generation();
  gen->set_bos_token_id(config.generation.bos_token_id);
  for (int id : config.generation.eos_token_ids) gen->add_eos_token_ids(id);
  gen->set_pad_token_id(config.generation.pad_token_id);
  out->set_image_token_id(config.image_token_id);
  out->set_video_token_id(config.video_token_id);
  out->set_audio_token_id(config.audio_token_id);
}

Result<std::string> serialize_manifest(const bundle::Manifest& manifest) {
  const size_t size = manifest.ByteSizeLong();
  if (size > static_cast<size_t>(INT32_MAX)) {
    return Error(ErrorCode::kLimit, "manifest of " + std::to_string(size) + " bytes exceeds protobuf's 2 GiB limit");
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    manifest.SerializeWithCachedSizes(&coded);
    if (coded.HadError()) return Error(ErrorCode::kInternal, "manifest serialisation failed");
  }
  return bytes;
}

}  // namespace hfb
