// bundle.proto ModelConfig -> core::ModelConfig (inverse of writers/bundle_manifest.cpp config_to_proto).
#include "readers/bundle/bundle_manifest.h"

namespace hfb {
namespace {

RopeSpec rope_from_proto(const bundle::RopeSpec& p) {
  RopeSpec rope;
  rope.type = p.type() == bundle::ROPE_PROPORTIONAL ? RopeType::kProportional : RopeType::kDefault;
  rope.theta = p.theta();
  rope.partial_rotary_factor = p.partial_rotary_factor();
  return rope;
}

TextConfig text_from_proto(const bundle::TextConfig& p) {
  TextConfig t;
  t.num_hidden_layers = p.num_hidden_layers();
  t.hidden_size = p.hidden_size();
  t.vocab_size = p.vocab_size();
  t.vocab_size_per_layer_input = p.vocab_size_per_layer_input();
  t.hidden_size_per_layer_input = p.hidden_size_per_layer_input();
  t.num_attention_heads = p.num_attention_heads();
  t.num_kv_shared_layers = p.num_kv_shared_layers();
  t.sliding_window = p.sliding_window();
  t.rms_norm_eps = p.rms_norm_eps();
  t.final_logit_softcapping = p.final_logit_softcapping();
  t.tie_word_embeddings = p.tie_word_embeddings();
  t.hidden_activation = p.hidden_activation();
  t.pad_token_id = p.pad_token_id();
  t.enable_moe_block = p.enable_moe_block();
  t.num_experts = p.num_experts();
  t.top_k_experts = p.top_k_experts();
  t.moe_intermediate_size = p.moe_intermediate_size();
  t.bidirectional_attention = p.bidirectional_attention();
  // Format 1.5; 0 in older bundles: keep TextConfig's default (131072, HF's); `export` warns about it.
  if (p.max_position_embeddings() > 0) t.max_position_embeddings = p.max_position_embeddings();
  for (const bundle::TextLayerSpec& l : p.layers()) {
    TextLayerSpec layer;
    layer.index = l.index();
    layer.attention = l.attention() == bundle::ATTENTION_FULL ? AttentionType::kFull : AttentionType::kSliding;
    layer.head_dim = l.head_dim();
    layer.num_heads = l.num_heads();
    layer.num_kv_heads = l.num_kv_heads();
    layer.kv_shared_from = l.kv_shared_from();
    layer.k_eq_v = l.k_eq_v();
    layer.intermediate_size = l.intermediate_size();
    layer.rope = rope_from_proto(l.rope());
    t.layers.push_back(layer);
  }
  return t;
}

AudioConfig audio_from_proto(const bundle::AudioConfig& p) {
  AudioConfig a;
  a.hidden_size = p.hidden_size();
  a.num_hidden_layers = p.num_hidden_layers();
  a.num_attention_heads = p.num_attention_heads();
  a.subsampling_conv_channels.assign(p.subsampling_conv_channels().begin(), p.subsampling_conv_channels().end());
  a.conv_kernel_size = p.conv_kernel_size();
  a.residual_weight = p.residual_weight();
  a.attention_chunk_size = p.attention_chunk_size();
  a.attention_context_left = p.attention_context_left();
  a.attention_context_right = p.attention_context_right();
  a.attention_logit_cap = p.attention_logit_cap();
  a.attention_invalid_logits_value = p.attention_invalid_logits_value();
  a.use_clipped_linears = p.use_clipped_linears();
  a.rms_norm_eps = p.rms_norm_eps();
  a.gradient_clipping = p.gradient_clipping();
  a.output_proj_dims = p.output_proj_dims();
  a.hidden_act = p.hidden_act();
  return a;
}

VisionConfig vision_from_proto(const bundle::VisionConfig& p) {
  VisionConfig v;
  v.hidden_size = p.hidden_size();
  v.intermediate_size = p.intermediate_size();
  v.num_hidden_layers = p.num_hidden_layers();
  v.num_attention_heads = p.num_attention_heads();
  v.num_key_value_heads = p.num_key_value_heads();
  v.head_dim = p.head_dim();
  v.hidden_activation = p.hidden_activation();
  v.rms_norm_eps = p.rms_norm_eps();
  v.rope_theta = p.rope_theta();
  v.pooling_kernel_size = p.pooling_kernel_size();
  v.patch_size = p.patch_size();
  v.position_embedding_size = p.position_embedding_size();
  v.use_clipped_linears = p.use_clipped_linears();
  v.standardize = p.standardize();
  return v;
}

}  // namespace

ModelConfig config_from_proto(const bundle::ModelConfig& p) {
  ModelConfig c;
  c.architecture = p.architecture();
  c.model_type = p.model_type();
  c.text = text_from_proto(p.text());
  if (p.has_audio()) c.audio = audio_from_proto(p.audio());
  if (p.has_vision()) c.vision = vision_from_proto(p.vision());
  c.generation.bos_token_id = p.generation().bos_token_id();
  c.generation.eos_token_ids.assign(p.generation().eos_token_ids().begin(), p.generation().eos_token_ids().end());
  c.generation.pad_token_id = p.generation().pad_token_id();
  c.image_token_id = p.image_token_id();
  c.video_token_id = p.video_token_id();
  c.audio_token_id = p.audio_token_id();
  return c;
}

}  // namespace hfb
