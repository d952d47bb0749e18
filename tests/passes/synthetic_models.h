// Synthetic core::Models shaped like the fixtures, with roles/towers/layers/used set the way the
// reader sets them (metadata only: no bytes), for pass tests that must not depend on readers/.
#pragma once

#include <string>

#include "core/model.h"

namespace hfb::testing {

inline TensorInfo make_tensor(const std::string& name, Role role, Tower tower, int layer,
                              Shape shape, bool used = true, DType dtype = DTypeId::kBF16) {
  TensorInfo t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.num_bytes = t.shape.num_bytes(dtype).value_or(0);
  t.role = role;
  t.tower = tower;
  t.layer = layer;
  t.used = used;
  if (!used) t.unused_reason = "test";
  return t;
}

/// Like fixture sample-release: 4 layers (sliding, full, sliding, full), hidden 64, head_dim 32
/// (64 on full layers), 1 KV head, layers 2 and 3 KV-shared from 0 and 1 but still carrying
/// k_proj, v_proj and k_norm (6 unused tensors).
inline Model sample_release_like() {
  Model m;
  TextConfig& text = m.config.text;
  text.num_hidden_layers = 4;
  text.hidden_size = 64;
  text.vocab_size = 512;
  text.vocab_size_per_layer_input = 512;
  text.hidden_size_per_layer_input = 16;
  text.num_kv_shared_layers = 2;
  for (int i = 0; i < 4; ++i) {
    TextLayerSpec l;
    l.index = i;
    l.attention = i % 2 ? AttentionType::kFull : AttentionType::kSliding;
    l.head_dim = i % 2 ? 64 : 32;
    l.num_heads = 2;
    l.num_kv_heads = 1;
    l.kv_shared_from = i >= 2 ? i - 2 : -1;
    l.intermediate_size = 192;
    text.layers.push_back(l);
  }
  auto add = [&](TensorInfo t) { m.tensors.add(std::move(t)); };
  add(make_tensor("model.embed_tokens.weight", Role::kTokenEmbedding, Tower::kText, -1, {512, 64}));
  add(make_tensor("model.embed_tokens_per_layer.weight", Role::kPleTable, Tower::kText, -1,
                  {512, 64}));
  add(make_tensor("model.per_layer_model_projection.weight", Role::kPleProjection, Tower::kText,
                  -1, {64, 64}));
  add(make_tensor("model.per_layer_projection_norm.weight", Role::kNorm, Tower::kText, -1, {16}));
  for (int i = 0; i < 4; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    const int64_t hd = text.layers[i].head_dim;
    const bool shared = i >= 2;
    add(make_tensor(p + "self_attn.q_proj.weight", Role::kAttnQ, Tower::kText, i, {2 * hd, 64}));
    add(make_tensor(p + "self_attn.k_proj.weight", Role::kAttnK, Tower::kText, i, {hd, 64}, !shared));
    add(make_tensor(p + "self_attn.v_proj.weight", Role::kAttnV, Tower::kText, i, {hd, 64}, !shared));
    add(make_tensor(p + "self_attn.k_norm.weight", Role::kAttnKNorm, Tower::kText, i, {hd}, !shared));
    add(make_tensor(p + "self_attn.q_norm.weight", Role::kAttnQNorm, Tower::kText, i, {hd}));
    add(make_tensor(p + "self_attn.o_proj.weight", Role::kAttnO, Tower::kText, i, {64, 2 * hd}));
    add(make_tensor(p + "mlp.gate_proj.weight", Role::kMlpGate, Tower::kText, i, {192, 64}));
    add(make_tensor(p + "mlp.up_proj.weight", Role::kMlpUp, Tower::kText, i, {192, 64}));
    add(make_tensor(p + "mlp.down_proj.weight", Role::kMlpDown, Tower::kText, i, {64, 192}));
    add(make_tensor(p + "input_layernorm.weight", Role::kNorm, Tower::kText, i, {64}));
  }
  add(make_tensor("model.norm.weight", Role::kNorm, Tower::kText, -1, {64}));
  return m;
}

/// Like fixture mm-clipscope: audio (2 conformer layers, 10 clippable linears each) with
/// use_clipped_linears = true, vision (2 encoder layers, 7 clippable linears each) with false.
/// Each linear has 4 scalar bounds; vision bounds are unused. Each tower has its embedder
/// projection [64, 36]. Text layer 0 has a k_proj whose
/// audio and vision namesakes must not be touched by name matching.
inline Model mm_clipscope_like() {
  Model m = sample_release_like();
  m.config.audio = AudioConfig{};
  m.config.audio->use_clipped_linears = true;
  m.config.vision = VisionConfig{};
  m.config.vision->use_clipped_linears = false;
  m.config.audio->output_proj_dims = 36;
  m.config.vision->hidden_size = 36;
  // The embedders: non-square projections into the text hidden size.
  m.tensors.add(make_tensor("model.embed_audio.embedding_projection.weight", Role::kEmbedderProjection,
                            Tower::kAudio, -1, {64, 36}));
  m.tensors.add(make_tensor("model.embed_vision.embedding_projection.weight", Role::kEmbedderProjection,
                            Tower::kVision, -1, {64, 36}));
  const char* audio_linears[] = {"feed_forward1.ffw_layer_1", "feed_forward1.ffw_layer_2",
                                 "feed_forward2.ffw_layer_1", "feed_forward2.ffw_layer_2",
                                 "lconv1d.linear_start",      "lconv1d.linear_end",
                                 "self_attn.q_proj",          "self_attn.k_proj",
                                 "self_attn.v_proj",          "self_attn.post"};
  const char* vision_linears[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                  "self_attn.o_proj", "mlp.gate_proj",    "mlp.up_proj",
                                  "mlp.down_proj"};
  const char* bounds[] = {"input_min", "input_max", "output_min", "output_max"};
  for (int i = 0; i < 2; ++i) {
    const std::string a = "model.audio_tower.layers." + std::to_string(i) + ".";
    const std::string v = "model.vision_tower.encoder.layers." + std::to_string(i) + ".";
    for (const char* lin : audio_linears) {
      m.tensors.add(make_tensor(a + lin + ".linear.weight", Role::kMlpUp, Tower::kAudio, i, {36, 36}));
      for (const char* b : bounds) {
        m.tensors.add(make_tensor(a + lin + "." + b, Role::kClipBound, Tower::kAudio, i, Shape{}));
      }
    }
    for (const char* lin : vision_linears) {
      m.tensors.add(make_tensor(v + lin + ".linear.weight", Role::kMlpUp, Tower::kVision, i, {36, 36}));
      for (const char* b : bounds) {
        m.tensors.add(make_tensor(v + lin + "." + b, Role::kClipBound, Tower::kVision, i, Shape{},
                                  /*used=*/false));
      }
    }
  }
  return m;
}

}  // namespace hfb::testing
