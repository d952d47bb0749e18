// GGUF import, the config side: tower fields from mmproj tensor shapes, `--config` reconciled with the GGUF, and the
// two value transforms the export applies (softplus, patch permutation) reversed.
#include <algorithm>
#include <climits>
#include <cmath>

#include "models/gemma4/gemma4_gguf_config.h"
#include "models/gemma4/gemma4_gguf_import.h"
#include "models/gemma4/gemma4_gguf_names.h"

namespace hfb::gemma4_gguf {
namespace {

/// ggml ne of a tensor of `file` that a tower field needs; kInvalidFile naming it when absent or of the wrong rank.
Result<std::vector<int64_t>> needed_ne(const GgufFile& file, const std::string& name, size_t rank,
                                       const std::string& field) {
  const GgufTensorInfo* t = file.find_tensor(name);
  if (t == nullptr) {
    return Error(ErrorCode::kInvalidFile, "tensor '" + name + "' is missing (the " + field + " comes from its shape)")
        .with_path(file.source->path())
        .with_tensor(name);
  }
  if (t->ne.size() < rank) {
    return Error(ErrorCode::kInvalidFile, "tensor '" + name + "' has " + std::to_string(t->ne.size()) +
                                              " dims, expected " + std::to_string(rank))
        .with_path(file.source->path())
        .with_tensor(name);
  }
  return t->ne;
}

/// Whether the mmproj holds a clip bound of the tower whose GGUF names start with `prefix` ("v." / "a.").
bool has_clip_bounds(const GgufFile& mmproj, const std::string& prefix) {
  for (const GgufTensorInfo& t : mmproj.tensors) {
    if (t.name.compare(0, prefix.size(), prefix) != 0) continue;
    const auto name = hf_name_for("gemma4", GgufFileKind::kMmproj, t.name);
    if (name && name->transform == GgufTransform::kScalarToVector) return true;
  }
  return false;
}

int to_int(int64_t v) { return static_cast<int>(std::min<int64_t>(v, INT32_MAX)); }

/// Collects "key: GGUF x, --config y" for every field both define and disagree on.
class Mismatches {
 public:
  template <typename T>
  void check(const std::string& key, const T& gguf_value, const T& file_value) {
    if (gguf_value == file_value) return;
    if (!text_.empty()) text_ += "; ";
    text_ += key + " is " + show(file_value) + ", the GGUF's is " + show(gguf_value);
  }
  const std::string& text() const { return text_; }

 private:
  static std::string show(int v) { return std::to_string(v); }
  static std::string show(bool v) { return v ? "true" : "false"; }
  static std::string show(const std::vector<int>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
    return out + "]";
  }
  std::string text_;
};

}  // namespace

std::optional<float> inverse_softplus(float y) {
  if (!std::isfinite(y) || y <= 0.0f) return std::nullopt;
  const double x = std::log(std::expm1(static_cast<double>(y)));
  if (!std::isfinite(x)) return std::nullopt;
  return static_cast<float>(x);
}

void unpermute_patch_row(const float* in, int64_t cols, float* out) {
  const int64_t pp = cols / 3;
  for (int64_t i = 0; i < pp; ++i) {
    for (int64_t c = 0; c < 3; ++c) out[i * 3 + c] = in[c * pp + i];
  }
}

Status apply_mmproj_tensor_facts(const GgufFile& mmproj, ModelConfig* config) {
  if (config->vision) {
    VisionConfig& v = *config->vision;
    HFB_TRY(auto q_norm, needed_ne(mmproj, "v.blk.0.attn_q_norm.weight", 1, "vision head_dim"));
    HFB_TRY(auto k, needed_ne(mmproj, "v.blk.0.attn_k.weight", 2, "vision num_key_value_heads"));
    HFB_TRY(auto pos, needed_ne(mmproj, "v.position_embd.weight", 3, "vision position_embedding_size"));
    v.head_dim = to_int(q_norm[0]);
    v.num_key_value_heads = v.head_dim > 0 ? to_int(k[1] / v.head_dim) : 0;
    v.position_embedding_size = to_int(pos[1]);
    // llama.cpp's gemma4v merges 3x3 patches unless clip.vision.projector.scale_factor says otherwise.
    const gguf::Value* merge = mmproj.find("clip.vision.projector.scale_factor");
    v.pooling_kernel_size = merge && merge->int_at(0) ? to_int(*merge->int_at(0)) : 3;
    v.use_clipped_linears = has_clip_bounds(mmproj, "v.");
    v.standardize = mmproj.find_tensor("v.std_bias") != nullptr;
    v.hidden_activation = "gelu_pytorch_tanh";
    v.rope_theta = 100.0;  // clip.cpp hard-codes it for gemma4v
  }
  if (config->audio) {
    AudioConfig& a = *config->audio;
    HFB_TRY(auto conv0, needed_ne(mmproj, "a.conv1d.0.weight", 4, "audio subsampling_conv_channels"));
    HFB_TRY(auto conv1, needed_ne(mmproj, "a.conv1d.1.weight", 4, "audio subsampling_conv_channels"));
    HFB_TRY(auto dw, needed_ne(mmproj, "a.blk.0.conv_dw.weight", 2, "audio conv_kernel_size"));
    HFB_TRY(auto out, needed_ne(mmproj, "a.pre_encode.out.weight", 2, "audio output_proj_dims"));
    a.subsampling_conv_channels = {to_int(conv0[3]), to_int(conv1[3])};
    a.conv_kernel_size = to_int(dw[0]);
    a.output_proj_dims = to_int(out[1]);
    a.use_clipped_linears = has_clip_bounds(mmproj, "a.");
    a.hidden_act = "silu";
    // No keys: attention_chunk_size / attention_context_left stay 0 until --config gives them.
    a.attention_chunk_size = 0;
    a.attention_context_left = 0;
  }
  return ok_status();
}

Status merge_config_file(const ModelConfig& file, const std::string& path, ModelConfig* config) {
  Mismatches m;
  const TextConfig& t = config->text;
  m.check("num_hidden_layers", t.num_hidden_layers, file.text.num_hidden_layers);
  m.check("hidden_size", t.hidden_size, file.text.hidden_size);
  m.check("vocab_size", t.vocab_size, file.text.vocab_size);
  m.check("num_attention_heads", t.num_attention_heads, file.text.num_attention_heads);
  if (config->vision && file.vision) {
    const VisionConfig& v = *config->vision;
    const VisionConfig& f = *file.vision;
    m.check("vision_config.hidden_size", v.hidden_size, f.hidden_size);
    m.check("vision_config.num_hidden_layers", v.num_hidden_layers, f.num_hidden_layers);
    m.check("vision_config.num_attention_heads", v.num_attention_heads, f.num_attention_heads);
    m.check("vision_config.head_dim", v.head_dim, f.head_dim);
    m.check("vision_config.patch_size", v.patch_size, f.patch_size);
    m.check("vision_config.position_embedding_size", v.position_embedding_size, f.position_embedding_size);
    m.check("vision_config.standardize", v.standardize, f.standardize);
    VisionConfig merged = f;  // the file's flags and defaults (pooling, rope theta, activation)
    merged.use_clipped_linears = v.use_clipped_linears;  // what the GGUF holds is what llama.cpp applies
    config->vision = merged;
  }
  if (config->audio && file.audio) {
    const AudioConfig& a = *config->audio;
    const AudioConfig& f = *file.audio;
    m.check("audio_config.hidden_size", a.hidden_size, f.hidden_size);
    m.check("audio_config.num_hidden_layers", a.num_hidden_layers, f.num_hidden_layers);
    m.check("audio_config.num_attention_heads", a.num_attention_heads, f.num_attention_heads);
    m.check("audio_config.subsampling_conv_channels", a.subsampling_conv_channels, f.subsampling_conv_channels);
    m.check("audio_config.conv_kernel_size", a.conv_kernel_size, f.conv_kernel_size);
    m.check("audio_config.output_proj_dims", a.output_proj_dims, f.output_proj_dims);
    AudioConfig merged = f;  // attention_chunk_size, attention_context_left/right, logit cap, residual weight
    merged.use_clipped_linears = a.use_clipped_linears;
    config->audio = merged;
  }
  if (!m.text().empty()) {
    return Error(ErrorCode::kInvalidArgument, "--config does not describe this GGUF: " + m.text()).with_path(path);
  }
  config->image_token_id = file.image_token_id;
  config->video_token_id = file.video_token_id;
  config->audio_token_id = file.audio_token_id;
  config->text.bidirectional_attention = file.text.bidirectional_attention;
  return ok_status();
}

}  // namespace hfb::gemma4_gguf
