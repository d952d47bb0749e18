// Test helper: loads a multimodal Gemma 4 fixture (config.json in the HF-HEAD format + tensors with towers and
// roles assigned by name) until the model reader (readers/model_reader.h) is available to these tests.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/model.h"
#include "readers/safetensors.h"

namespace hfb::test {

inline RopeSpec fixture_rope(const nlohmann::json& params) {
  RopeSpec rope;
  rope.type = params.value("rope_type", std::string("default")) == "proportional" ? RopeType::kProportional
                                                                                   : RopeType::kDefault;
  rope.theta = params.value("rope_theta", 10000.0);
  rope.partial_rotary_factor = params.value("partial_rotary_factor", 1.0);
  return rope;
}

inline TextConfig fixture_text_config(const nlohmann::json& t) {
  TextConfig text;
  text.num_hidden_layers = t.at("num_hidden_layers");
  text.hidden_size = t.at("hidden_size");
  text.vocab_size = t.at("vocab_size");
  text.vocab_size_per_layer_input = t.value("vocab_size_per_layer_input", text.vocab_size);
  text.hidden_size_per_layer_input = t.value("hidden_size_per_layer_input", 0);
  text.num_attention_heads = t.at("num_attention_heads");
  text.num_kv_shared_layers = t.value("num_kv_shared_layers", 0);
  text.sliding_window = t.at("sliding_window");
  text.rms_norm_eps = t.value("rms_norm_eps", 1e-6);
  text.final_logit_softcapping = t.value("final_logit_softcapping", 0.0);
  text.hidden_activation = t.value("hidden_activation", std::string("gelu_pytorch_tanh"));
  text.pad_token_id = t.value("pad_token_id", 0);
  const int n = text.num_hidden_layers, first_shared = n - text.num_kv_shared_layers;
  const auto& types = t.at("layer_types");
  for (int i = 0; i < n; ++i) {
    TextLayerSpec spec;
    spec.index = i;
    bool full = types[i] == "full_attention";
    spec.attention = full ? AttentionType::kFull : AttentionType::kSliding;
    spec.head_dim = t.at("head_dim");
    spec.num_heads = text.num_attention_heads;
    spec.num_kv_heads = t.at("num_key_value_heads");
    std::string key = std::to_string(i);
    if (full && t.contains("per_layer_config") && t["per_layer_config"].contains(key)) {
      const auto& per = t["per_layer_config"][key];
      spec.head_dim = per.value("head_dim", spec.head_dim);
      spec.num_kv_heads = per.value("num_key_value_heads", spec.num_kv_heads);
    }
    spec.k_eq_v = full && t.value("attention_k_eq_v", false);
    spec.intermediate_size = t.at("intermediate_size");
    if (i >= first_shared) {
      for (int j = first_shared - 1; j >= 0; --j) {
        if (types[j] == types[i]) {
          spec.kv_shared_from = j;
          break;
        }
      }
      if (t.value("use_double_wide_mlp", false)) spec.intermediate_size *= 2;
    }
    spec.rope = fixture_rope(t.at("rope_parameters").at(full ? "full_attention" : "sliding_attention"));
    text.layers.push_back(spec);
  }
  return text;
}

inline AudioConfig fixture_audio_config(const nlohmann::json& a) {
  AudioConfig audio;
  audio.hidden_size = a.at("hidden_size");
  audio.num_hidden_layers = a.at("num_hidden_layers");
  audio.num_attention_heads = a.at("num_attention_heads");
  audio.subsampling_conv_channels = a.at("subsampling_conv_channels").get<std::vector<int>>();
  audio.conv_kernel_size = a.at("conv_kernel_size");
  audio.residual_weight = a.at("residual_weight");
  audio.attention_chunk_size = a.at("attention_chunk_size");
  audio.attention_context_left = a.at("attention_context_left");
  audio.attention_context_right = a.at("attention_context_right");
  audio.attention_logit_cap = a.at("attention_logit_cap");
  audio.attention_invalid_logits_value = a.at("attention_invalid_logits_value");
  audio.use_clipped_linears = a.value("use_clipped_linears", true);
  audio.rms_norm_eps = a.value("rms_norm_eps", 1e-6);
  audio.gradient_clipping = a.value("gradient_clipping", 1e10);
  audio.output_proj_dims = a.at("output_proj_dims");
  audio.hidden_act = a.value("hidden_act", std::string("silu"));
  return audio;
}

inline VisionConfig fixture_vision_config(const nlohmann::json& v) {
  VisionConfig vision;
  vision.hidden_size = v.at("hidden_size");
  vision.intermediate_size = v.at("intermediate_size");
  vision.num_hidden_layers = v.at("num_hidden_layers");
  vision.num_attention_heads = v.at("num_attention_heads");
  vision.num_key_value_heads = v.at("num_key_value_heads");
  vision.head_dim = v.at("head_dim");
  vision.hidden_activation = v.value("hidden_activation", std::string("gelu_pytorch_tanh"));
  vision.rms_norm_eps = v.value("rms_norm_eps", 1e-6);
  vision.rope_theta = v.at("rope_parameters").value("rope_theta", 100.0);
  vision.pooling_kernel_size = v.at("pooling_kernel_size");
  vision.patch_size = v.at("patch_size");
  vision.position_embedding_size = v.at("position_embedding_size");
  vision.use_clipped_linears = v.value("use_clipped_linears", false);
  vision.standardize = v.value("standardize", false);
  return vision;
}

inline void assign_fixture_towers(TensorTable* tensors) {
  for (TensorInfo& info : tensors->tensors_mutable()) {
    const std::string& n = info.name;
    if (n.rfind("model.audio_tower.", 0) == 0) info.tower = Tower::kAudio;
    if (n.rfind("model.vision_tower.", 0) == 0) info.tower = Tower::kVision;
    if (n.rfind("model.embed_audio.", 0) == 0 || n.rfind("model.embed_vision.", 0) == 0) {
      info.role = Role::kEmbedderProjection;
    }
    for (const char* bound : {".input_min", ".input_max", ".output_min", ".output_max"}) {
      const std::string b(bound);
      if (n.size() > b.size() && n.compare(n.size() - b.size(), b.size(), b) == 0) info.role = Role::kClipBound;
    }
  }
}

/// Reads `dir` (config.json + model.safetensors) into a Model; ASSERT-style failures are left to the caller.
inline Result<Model> load_fixture_model(const std::string& dir) {
  std::ifstream file(dir + "/config.json");
  if (!file) return Error(ErrorCode::kNotFound, "test: no config.json in " + dir);
  std::stringstream text;
  text << file.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str());
  Model model;
  model.source = dir;
  model.config.architecture = j.at("architectures")[0];
  model.config.model_type = j.at("model_type");
  model.config.text = fixture_text_config(j.contains("text_config") ? j["text_config"] : j);
  if (j.contains("audio_config") && !j["audio_config"].is_null()) model.config.audio = fixture_audio_config(j["audio_config"]);
  if (j.contains("vision_config") && !j["vision_config"].is_null()) {
    model.config.vision = fixture_vision_config(j["vision_config"]);
  }
  model.config.image_token_id = j.value("image_token_id", -1);
  model.config.video_token_id = j.value("video_token_id", -1);
  model.config.audio_token_id = j.value("audio_token_id", -1);
  HFB_TRY(model.tensors, read_safetensors_checkpoint(dir));
  assign_fixture_towers(&model.tensors);
  return model;
}

}  // namespace hfb::test
