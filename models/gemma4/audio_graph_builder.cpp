// Builds the Gemma 4 audio conformer subgraph: subsampling convs with weight-only LayerNorm, conformer
// layers (macaron feed-forwards, chunked local attention with relative positions, light conv), output_proj.
#include "models/gemma4/audio_graph_builder.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "models/gemma4/tower_graph_context.h"

namespace hfb {

std::string audio_layer_tap(int index) { return "audio_layer_output." + std::to_string(index); }

namespace {

class AudioBuilder {
 public:
  AudioBuilder(Graph* graph, const AudioConfig& audio, const TensorTable& tensors, bool clipped)
      : graph_(graph), cfg_(audio), ctx_(graph, &tensors, "model.audio_tower.", clipped) {}

  Result<AudioTowerValues> build(int text_hidden);

 private:
  std::string name(int layer, const std::string& what) const {
    return "audio.l" + std::to_string(layer) + "." + what;
  }
  Result<std::string> clamp(const std::string& x, const std::string& out);
  Result<std::string> norm(const std::string& x, const std::string& weight, double eps, const std::string& out);
  Result<std::pair<std::string, std::string>> subsample();
  Result<std::string> feed_forward(int layer, const std::string& which, const std::string& x);
  Result<std::string> attention(int layer, const std::string& x, const std::string& rel, const std::string& mask);
  Result<std::string> light_conv(int layer, const std::string& x);
  Result<std::string> conformer_layer(int layer, const std::string& x, const std::string& rel,
                                      const std::string& mask);

  Graph* graph_;
  const AudioConfig& cfg_;
  TowerGraphContext ctx_;
  OpType act_ = OpType::kSilu;
};

Result<std::string> AudioBuilder::clamp(const std::string& x, const std::string& out) {
  double g = std::min(cfg_.gradient_clipping, 3.4028234663852886e38);
  return ctx_.op(OpType::kClamp, {x}, {{"min", -g}, {"max", g}}, out);
}

Result<std::string> AudioBuilder::norm(const std::string& x, const std::string& weight, double eps,
                                       const std::string& out) {
  std::string w;
  if (!weight.empty()) {
    HFB_TRY(w, ctx_.weight(weight));
  }
  return ctx_.op(OpType::kRmsNorm, {x, w}, {{"eps", eps}}, out);
}

Result<std::pair<std::string, std::string>> AudioBuilder::subsample() {
  const int64_t mels = graph_->find_value(kGraphInputFeatures)->dims[1];
  // 0 in a reshape shape copies the input's dim: the frame count stays relative (core/graph.h).
  HFB_TRY(std::string x, ctx_.op(OpType::kReshape, {kGraphInputFeatures}, {{"shape", std::vector<int64_t>{0, mels, 1}}},
                                 "audio.sub.input"));
  std::string mask = kGraphInputFeaturesMask;
  for (int i = 0; i < 2; ++i) {
    const std::string base = "subsample_conv_projection.layer" + std::to_string(i) + ".";
    const std::string tag = "audio.sub" + std::to_string(i) + ".";
    HFB_TRY(auto masked, ctx_.op(OpType::kMaskRows, {x, mask}, {}, tag + "masked"));
    HFB_TRY(std::string conv_w, ctx_.weight(base + "conv.weight"));
    HFB_TRY(auto conv, ctx_.op(OpType::kConv2d, {masked, conv_w}, {{"stride", int64_t{2}}, {"padding", int64_t{1}}},
                               tag + "conv"));
    HFB_TRY(std::string norm_w, ctx_.weight(base + "norm.weight"));
    HFB_TRY(auto normed, ctx_.op(OpType::kLayerNorm, {conv, norm_w}, {{"eps", cfg_.rms_norm_eps}}, tag + "norm"));
    HFB_TRY(x, ctx_.op(OpType::kRelu, {normed}, {}, tag + "relu"));
    HFB_TRY(mask, ctx_.op(OpType::kStrideRows, {mask}, {{"stride", int64_t{2}}}, tag + "mask"));
  }
  const auto& dims = graph_->find_value(x)->dims;
  HFB_TRY(auto flat, ctx_.op(OpType::kReshape, {x}, {{"shape", std::vector<int64_t>{0, dims[1] * dims[2]}}},
                             "audio.sub.flat"));
  HFB_TRY(std::string proj_w, ctx_.weight("subsample_conv_projection.input_proj_linear.weight"));
  HFB_TRY(auto out, ctx_.op(OpType::kLinear, {flat, proj_w}, {}, "audio_subsample_output"));
  return std::make_pair(out, mask);
}

Result<std::string> AudioBuilder::feed_forward(int i, const std::string& which, const std::string& x) {
  const std::string base = "layers." + std::to_string(i) + "." + which + ".";
  HFB_TRY(auto clamped, clamp(x, name(i, which + ".clamp_in")));
  HFB_TRY(auto normed, norm(clamped, base + "pre_layer_norm.weight", 1e-6, name(i, which + ".pre")));
  HFB_TRY(auto up, ctx_.clipped_linear(normed, base + "ffw_layer_1", name(i, which + ".up")));
  HFB_TRY(auto act, ctx_.op(act_, {up}, {}, name(i, which + ".act")));
  HFB_TRY(auto down, ctx_.clipped_linear(act, base + "ffw_layer_2", name(i, which + ".down")));
  HFB_TRY(auto clamped_out, clamp(down, name(i, which + ".clamp_out")));
  HFB_TRY(auto post, norm(clamped_out, base + "post_layer_norm.weight", 1e-6, name(i, which + ".post")));
  HFB_TRY(auto scaled, ctx_.op(OpType::kMulScalar, {post}, {{"value", cfg_.residual_weight}}, name(i, which + ".scaled")));
  return ctx_.op(OpType::kAdd, {scaled, x}, {}, name(i, which + ".out"));
}

Result<std::string> AudioBuilder::attention(int i, const std::string& x, const std::string& rel,
                                            const std::string& mask) {
  const std::string base = "layers." + std::to_string(i) + ".self_attn.";
  const int64_t heads = cfg_.num_attention_heads, head_dim = cfg_.hidden_size / cfg_.num_attention_heads;
  std::vector<int64_t> shape{0, heads, head_dim};  // frames copied from the input
  HFB_TRY(auto q, ctx_.clipped_linear(x, base + "q_proj", name(i, "q")));
  HFB_TRY(auto k, ctx_.clipped_linear(x, base + "k_proj", name(i, "k")));
  HFB_TRY(auto v, ctx_.clipped_linear(x, base + "v_proj", name(i, "v")));
  HFB_TRY(auto q_heads, ctx_.op(OpType::kReshape, {q}, {{"shape", shape}}, name(i, "q_heads")));
  HFB_TRY(auto k_heads, ctx_.op(OpType::kReshape, {k}, {{"shape", shape}}, name(i, "k_heads")));
  HFB_TRY(auto v_heads, ctx_.op(OpType::kReshape, {v}, {{"shape", shape}}, name(i, "v_heads")));
  HFB_TRY(std::string scale_w, ctx_.weight(base + "per_dim_scale"));
  double q_scale = std::pow(static_cast<double>(head_dim), -0.5) / std::log(2.0);
  double k_scale = std::log(1.0 + std::exp(1.0)) / std::log(2.0);
  HFB_TRY(auto q_scaled, ctx_.op(OpType::kPerDimScale, {q_heads, scale_w}, {{"scale", q_scale}}, name(i, "q_scaled")));
  HFB_TRY(auto k_scaled, ctx_.op(OpType::kMulScalar, {k_heads}, {{"value", k_scale}}, name(i, "k_scaled")));
  HFB_TRY(std::string rel_w, ctx_.weight(base + "relative_k_proj.weight"));
  HFB_TRY(auto rel_k, ctx_.op(OpType::kLinear, {rel, rel_w}, {}, name(i, "rel_k")));
  const int64_t count = graph_->find_value(rel)->dims[0];
  HFB_TRY(auto rel_heads, ctx_.op(OpType::kReshape, {rel_k}, {{"shape", std::vector<int64_t>{count, heads, head_dim}}},
                                  name(i, "rel_k_heads")));
  Attributes attrs{{"chunk_size", static_cast<int64_t>(cfg_.attention_chunk_size)},
                   {"context_left", static_cast<int64_t>(cfg_.attention_context_left)},
                   {"context_right", static_cast<int64_t>(cfg_.attention_context_right)},
                   {"logit_cap", cfg_.attention_logit_cap},
                   {"invalid_logit", cfg_.attention_invalid_logits_value},
                   {"inverted_mask", int64_t{1}}};  // HF eager: logical_not of a 0/min float mask
  HFB_TRY(auto context, ctx_.op(OpType::kLocalAttention, {q_scaled, k_scaled, v_heads, rel_heads, mask}, attrs,
                                name(i, "attn")));
  HFB_TRY(auto merged, ctx_.op(OpType::kReshape, {context}, {{"shape", std::vector<int64_t>{0, heads * head_dim}}},
                               name(i, "attn_merged")));
  return ctx_.clipped_linear(merged, base + "post", name(i, "attn_out"));
}

Result<std::string> AudioBuilder::light_conv(int i, const std::string& x) {
  const std::string base = "layers." + std::to_string(i) + ".lconv1d.";
  HFB_TRY(auto normed, norm(x, base + "pre_layer_norm.weight", cfg_.rms_norm_eps, name(i, "lconv.pre")));
  HFB_TRY(auto start, ctx_.clipped_linear(normed, base + "linear_start", name(i, "lconv.start")));
  HFB_TRY(auto gated, ctx_.op(OpType::kGlu, {start}, {}, name(i, "lconv.glu")));
  HFB_TRY(std::string conv_w, ctx_.weight(base + "depthwise_conv1d.weight"));
  HFB_TRY(auto conv, ctx_.op(OpType::kDepthwiseConv1d, {gated, conv_w}, {}, name(i, "lconv.conv")));
  HFB_TRY(auto clamped, clamp(conv, name(i, "lconv.clamp")));
  HFB_TRY(auto conv_normed, norm(clamped, base + "conv_norm.weight", cfg_.rms_norm_eps, name(i, "lconv.conv_norm")));
  HFB_TRY(auto act, ctx_.op(act_, {conv_normed}, {}, name(i, "lconv.act")));
  HFB_TRY(auto end, ctx_.clipped_linear(act, base + "linear_end", name(i, "lconv.end")));
  return ctx_.op(OpType::kAdd, {end, x}, {}, name(i, "lconv.out"));
}

Result<std::string> AudioBuilder::conformer_layer(int i, const std::string& x, const std::string& rel,
                                                  const std::string& mask) {
  const std::string base = "layers." + std::to_string(i) + ".";
  HFB_TRY(auto ff1, feed_forward(i, "feed_forward1", x));
  HFB_TRY(auto clamped, clamp(ff1, name(i, "attn_clamp_in")));
  HFB_TRY(auto pre, norm(clamped, base + "norm_pre_attn.weight", 1e-6, name(i, "attn_pre")));
  HFB_TRY(auto attn, attention(i, pre, rel, mask));
  HFB_TRY(auto attn_clamped, clamp(attn, name(i, "attn_clamp_out")));
  HFB_TRY(auto post, norm(attn_clamped, base + "norm_post_attn.weight", 1e-6, name(i, "attn_post")));
  HFB_TRY(auto residual, ctx_.op(OpType::kAdd, {post, ff1}, {}, name(i, "after_attn")));
  HFB_TRY(auto conv, light_conv(i, residual));
  HFB_TRY(auto ff2, feed_forward(i, "feed_forward2", conv));
  HFB_TRY(auto out_clamped, clamp(ff2, name(i, "out_clamp")));
  return norm(out_clamped, base + "norm_out.weight", 1e-6, audio_layer_tap(i));
}

Result<AudioTowerValues> AudioBuilder::build(int text_hidden) {
  if (cfg_.hidden_act == "gelu_pytorch_tanh" || cfg_.hidden_act == "gelu_tanh") {
    act_ = OpType::kGeluTanh;
  } else if (cfg_.hidden_act != "silu" && cfg_.hidden_act != "swish") {
    return Error(ErrorCode::kUnsupported, "gemma4 audio graph: hidden_act '" + cfg_.hidden_act + "'");
  }
  if (cfg_.num_attention_heads <= 0 || cfg_.hidden_size % cfg_.num_attention_heads != 0 ||
      cfg_.attention_chunk_size <= 0 || cfg_.attention_context_left < 1) {
    return Error(ErrorCode::kInvalidArgument, "gemma4 audio graph: invalid attention config");
  }
  HFB_TRY(auto sub, subsample());
  const int64_t context = cfg_.attention_chunk_size + cfg_.attention_context_left - 1 + cfg_.attention_context_right;
  HFB_TRY(auto rel, ctx_.op(OpType::kSinusoidPositions, {},
                            {{"count", context / 2 + 1}, {"dim", static_cast<int64_t>(cfg_.hidden_size)}},
                            "audio.rel_pos"));
  std::string x = sub.first;
  for (int i = 0; i < cfg_.num_hidden_layers; ++i) {
    auto layer = conformer_layer(i, x, rel, sub.second);
    if (!layer.ok()) return std::move(layer).error().with_context("while building audio layer " + std::to_string(i));
    x = layer.value();
  }
  HFB_TRY(std::string out_w, ctx_.weight("output_proj.weight"));
  HFB_TRY(std::string out_b, ctx_.weight("output_proj.bias"));
  HFB_TRY(auto projected, ctx_.op(OpType::kLinear, {x, out_w}, {}, "audio.output_proj"));
  HFB_TRY(auto tower, ctx_.op(OpType::kBiasAdd, {projected, out_b}, {}, "audio_tower_output"));
  HFB_TRY(auto normed, ctx_.op(OpType::kRmsNorm, {tower, ""}, {{"eps", cfg_.rms_norm_eps}}, "audio.embed_norm"));
  HFB_TRY(std::string embed_w, ctx_.tensor("model.embed_audio.embedding_projection.weight"));
  const auto& w_dims = graph_->find_value(embed_w)->dims;
  if (w_dims != std::vector<int64_t>{text_hidden, cfg_.output_proj_dims}) {
    return Error(ErrorCode::kInvalidArgument, "gemma4 audio graph: embedding_projection is " + dims_to_string(w_dims) +
                                                  ", expected [text hidden, output_proj_dims] " +
                                                  dims_to_string({text_hidden, cfg_.output_proj_dims}))
        .with_tensor(embed_w);
  }
  HFB_TRY(auto embedded, ctx_.op(OpType::kLinear, {normed, embed_w}, {}, "audio_embedded"));
  HFB_TRY(graph_->mark_tap("audio_subsample_output"));
  for (int i = 0; i < cfg_.num_hidden_layers; ++i) HFB_TRY(graph_->mark_tap(audio_layer_tap(i)));
  HFB_TRY(graph_->mark_tap("audio_tower_output"));
  HFB_TRY(graph_->mark_tap("audio_embedded"));
  return AudioTowerValues{embedded, sub.second};
}

}  // namespace

Result<AudioTowerValues> add_gemma4_audio_tower(Graph* graph, const AudioConfig& audio, int text_hidden,
                                                const TensorTable& tensors, int64_t frames, bool clipped) {
  if (frames <= 0) return Error(ErrorCode::kInvalidArgument, "gemma4 audio graph: no audio frames");
  const TensorInfo* conv0 = tensors.find("model.audio_tower.subsample_conv_projection.layer0.conv.weight");
  int64_t mels = audio.subsampling_conv_channels.empty() ? 0 : audio.subsampling_conv_channels[0];
  if (!conv0) {
    return Error(ErrorCode::kNotFound, "gemma4 audio graph: required tensor is missing")
        .with_tensor("model.audio_tower.subsample_conv_projection.layer0.conv.weight");
  }
  HFB_TRY(graph->add_input(kGraphInputFeatures, DTypeId::kF32, {frames, mels}));
  HFB_TRY(graph->add_input(kGraphInputFeaturesMask, DTypeId::kF32, {frames}));
  AudioBuilder builder(graph, audio, tensors, clipped);
  return builder.build(text_hidden);
}

}  // namespace hfb
