// Builds the Gemma 4 vision encoder subgraph: pixel scaling, patch projection + 2-D position table, encoder
// layers (q/k/v norms, 2-D RoPE, bidirectional attention over valid patches), position pooling, standardize.
#include "models/gemma4/vision_graph_builder.h"

#include <cmath>
#include <utility>

#include "models/gemma4/tower_graph_context.h"

namespace hfb {

std::string vision_layer_tap(int index) { return "vision_layer_output." + std::to_string(index); }

namespace {

class VisionBuilder {
 public:
  VisionBuilder(Graph* graph, const VisionConfig& vision, const TensorTable& tensors, bool clipped, bool force)
      : graph_(graph), cfg_(vision), ctx_(graph, &tensors, "model.vision_tower.", clipped, force) {}

  Result<VisionTowerValues> build(int text_hidden);

 private:
  std::string name(int layer, const std::string& what) const {
    return "vision.l" + std::to_string(layer) + "." + what;
  }
  Result<std::string> norm(const std::string& x, const std::string& weight, const std::string& out);
  Result<std::string> heads(int layer, const std::string& x, const std::string& module, int64_t count,
                            const std::string& tag);
  Result<std::string> attention(int layer, const std::string& x, const std::string& valid);
  Result<std::string> mlp(int layer, const std::string& x);
  Result<std::string> encoder_layer(int layer, const std::string& x, const std::string& valid);
  Result<std::string> pool(const std::string& x, const std::string& valid);

  Graph* graph_;
  const VisionConfig& cfg_;
  TowerGraphContext ctx_;
  OpType act_ = OpType::kGeluTanh;
  std::string soft_mask_;
};

Result<std::string> VisionBuilder::norm(const std::string& x, const std::string& weight, const std::string& out) {
  std::string w;
  if (!weight.empty()) {
    HFB_TRY(w, ctx_.weight(weight));
  }
  return ctx_.op(OpType::kRmsNorm, {x, w}, {{"eps", cfg_.rms_norm_eps}}, out);
}

// Projection -> [P, count, head_dim] -> its RMSNorm (q/k with weight, v without) -> 2-D RoPE (q/k).
Result<std::string> VisionBuilder::heads(int i, const std::string& x, const std::string& module, int64_t count,
                                         const std::string& tag) {
  const std::string base = "encoder.layers." + std::to_string(i) + ".self_attn.";
  HFB_TRY(auto projected, ctx_.clipped_linear(x, base + module, name(i, tag)));
  std::vector<int64_t> shape{0, count, static_cast<int64_t>(cfg_.head_dim)};  // 0: patches copied from the input
  HFB_TRY(auto split, ctx_.op(OpType::kReshape, {projected}, {{"shape", shape}}, name(i, tag + "_heads")));
  if (tag == "v") return norm(split, "", name(i, "v_normed"));
  HFB_TRY(auto normed, norm(split, base + tag + "_norm.weight", name(i, tag + "_normed")));
  return ctx_.op(OpType::kRope2d, {normed, kGraphImagePositionIds}, {{"theta", cfg_.rope_theta}},
                 name(i, tag + "_roped"));
}

Result<std::string> VisionBuilder::attention(int i, const std::string& x, const std::string& valid) {
  const std::string base = "encoder.layers." + std::to_string(i) + ".self_attn.";
  HFB_TRY(auto q, heads(i, x, "q_proj", cfg_.num_attention_heads, "q"));
  HFB_TRY(auto k, heads(i, x, "k_proj", cfg_.num_key_value_heads, "k"));
  HFB_TRY(auto v, heads(i, x, "v_proj", cfg_.num_key_value_heads, "v"));
  Attributes attrs{{"num_heads", static_cast<int64_t>(cfg_.num_attention_heads)},
                   {"num_kv_heads", static_cast<int64_t>(cfg_.num_key_value_heads)},
                   {"head_dim", static_cast<int64_t>(cfg_.head_dim)},
                   {"scaling", 1.0}};
  HFB_TRY(auto context, ctx_.op(OpType::kMaskedAttention, {q, k, v, valid, kGraphImagePositionIds}, attrs, name(i, "attn")));
  std::vector<int64_t> flat{0, static_cast<int64_t>(cfg_.num_attention_heads) * cfg_.head_dim};
  HFB_TRY(auto merged, ctx_.op(OpType::kReshape, {context}, {{"shape", flat}}, name(i, "attn_merged")));
  return ctx_.clipped_linear(merged, base + "o_proj", name(i, "attn_out"));
}

Result<std::string> VisionBuilder::mlp(int i, const std::string& x) {
  const std::string base = "encoder.layers." + std::to_string(i) + ".mlp.";
  HFB_TRY(auto gate, ctx_.clipped_linear(x, base + "gate_proj", name(i, "mlp_gate")));
  HFB_TRY(auto act, ctx_.op(act_, {gate}, {}, name(i, "mlp_act")));
  HFB_TRY(auto up, ctx_.clipped_linear(x, base + "up_proj", name(i, "mlp_up")));
  HFB_TRY(auto product, ctx_.op(OpType::kMul, {act, up}, {}, name(i, "mlp_product")));
  return ctx_.clipped_linear(product, base + "down_proj", name(i, "mlp_out"));
}

Result<std::string> VisionBuilder::encoder_layer(int i, const std::string& x, const std::string& valid) {
  const std::string base = "encoder.layers." + std::to_string(i) + ".";
  HFB_TRY(auto normed, norm(x, base + "input_layernorm.weight", name(i, "attn_in")));
  HFB_TRY(auto attn, attention(i, normed, valid));
  HFB_TRY(auto attn_normed, norm(attn, base + "post_attention_layernorm.weight", name(i, "attn_normed")));
  HFB_TRY(auto residual, ctx_.op(OpType::kAdd, {x, attn_normed}, {}, name(i, "after_attn")));
  HFB_TRY(auto mlp_in, norm(residual, base + "pre_feedforward_layernorm.weight", name(i, "mlp_in")));
  HFB_TRY(auto mlp_out, mlp(i, mlp_in));
  HFB_TRY(auto mlp_normed, norm(mlp_out, base + "post_feedforward_layernorm.weight", name(i, "mlp_normed")));
  return ctx_.op(OpType::kAdd, {residual, mlp_normed}, {}, vision_layer_tap(i));
}

// Pools k x k patches into [P/k^2, hidden] x sqrt(hidden). Every pooled row is kept, so the graph does not
// depend on the image: valid tokens come first (token = x/k + columns * y/k over the image grid), the rest
// (padding) are zero and masked out of the scatter by soft_mask_ (non-zero where a pooled row holds valid
// patches: the valid flags pooled like the features).
Result<std::string> VisionBuilder::pool(const std::string& x, const std::string& valid) {
  const int64_t k = cfg_.pooling_kernel_size;
  HFB_TRY(auto zeroed, ctx_.op(OpType::kMaskRows, {x, valid}, {}, "vision.pool_in"));
  std::string pooled = zeroed;
  soft_mask_ = valid;
  if (k > 1) {
    const Attributes kernel{{"kernel", k}};
    HFB_TRY(pooled, ctx_.op(OpType::kPositionPool, {zeroed, kGraphImagePositionIds}, kernel, "vision.pooled_all"));
    HFB_TRY(auto column,
            ctx_.op(OpType::kReshape, {valid}, {{"shape", std::vector<int64_t>{0, 1}}}, "vision.valid_col"));
    HFB_TRY(auto share,
            ctx_.op(OpType::kPositionPool, {column, kGraphImagePositionIds}, kernel, "vision.pooled_valid"));
    HFB_TRY(soft_mask_, ctx_.op(OpType::kReshape, {share}, {{"shape", std::vector<int64_t>{0}}}, "vision_soft_mask"));
  }
  double root = std::sqrt(static_cast<double>(cfg_.hidden_size));
  return ctx_.op(OpType::kMulScalar, {pooled}, {{"value", root}}, "vision_pooled");
}

Result<VisionTowerValues> VisionBuilder::build(int text_hidden) {
  if (cfg_.hidden_activation == "silu") {
    act_ = OpType::kSilu;
  } else if (cfg_.hidden_activation != "gelu_pytorch_tanh" && cfg_.hidden_activation != "gelu_tanh") {
    return Error(ErrorCode::kUnsupported, "gemma4 vision graph: hidden_activation '" + cfg_.hidden_activation + "'");
  }
  HFB_TRY(auto scaled, ctx_.op(OpType::kAffine, {kGraphPixelValues}, {{"shift", -0.5}, {"scale", 2.0}},
                               "vision.pixels_scaled"));
  HFB_TRY(std::string proj_w, ctx_.weight("patch_embedder.input_proj.weight"));
  HFB_TRY(auto projected, ctx_.op(OpType::kLinear, {scaled, proj_w}, {}, "vision.patch_projected"));
  HFB_TRY(std::string table, ctx_.weight("patch_embedder.position_embedding_table"));
  HFB_TRY(auto positions, ctx_.op(OpType::kPositionEmbedding2d, {table, kGraphImagePositionIds}, {},
                                  "vision.position_embeddings"));
  HFB_TRY(std::string x, ctx_.op(OpType::kAdd, {projected, positions}, {}, "vision_patch_embeddings"));
  HFB_TRY(auto valid, ctx_.op(OpType::kPatchMask, {kGraphImagePositionIds}, {}, "vision.valid"));
  for (int i = 0; i < cfg_.num_hidden_layers; ++i) {
    auto layer = encoder_layer(i, x, valid);
    if (!layer.ok()) return std::move(layer).error().with_context("while building vision layer " + std::to_string(i));
    x = layer.value();
  }
  HFB_TRY(auto pooled, pool(x, valid));
  std::string tower;
  if (cfg_.standardize) {
    HFB_TRY(std::string bias, ctx_.weight("std_bias"));
    HFB_TRY(std::string scale, ctx_.weight("std_scale"));
    HFB_TRY(tower, ctx_.op(OpType::kStandardize, {pooled, bias, scale}, {}, "vision_tower_output"));
  } else {
    std::vector<int64_t> same{0, static_cast<int64_t>(cfg_.hidden_size)};
    HFB_TRY(tower, ctx_.op(OpType::kReshape, {pooled}, {{"shape", same}}, "vision_tower_output"));
  }
  HFB_TRY(auto normed, ctx_.op(OpType::kRmsNorm, {tower, ""}, {{"eps", cfg_.rms_norm_eps}}, "vision.embed_norm"));
  HFB_TRY(std::string embed_w, ctx_.tensor("model.embed_vision.embedding_projection.weight"));
  const auto& w_dims = graph_->find_value(embed_w)->dims;
  if (w_dims != std::vector<int64_t>{text_hidden, cfg_.hidden_size}) {
    return Error(ErrorCode::kInvalidArgument, "gemma4 vision graph: embedding_projection is " +
                                                  dims_to_string(w_dims) + ", expected [text hidden, vision hidden] " +
                                                  dims_to_string({text_hidden, cfg_.hidden_size}))
        .with_tensor(embed_w);
  }
  HFB_TRY(auto embedded, ctx_.op(OpType::kLinear, {normed, embed_w}, {}, "vision_embedded"));
  for (const char* tap : {"vision_patch_embeddings", "vision_pooled", "vision_tower_output", "vision_embedded"}) {
    HFB_TRY(graph_->mark_tap(tap));
  }
  for (int i = 0; i < cfg_.num_hidden_layers; ++i) HFB_TRY(graph_->mark_tap(vision_layer_tap(i)));
  return VisionTowerValues{embedded, soft_mask_};
}

}  // namespace

Result<VisionTowerValues> add_gemma4_vision_tower(Graph* graph, const VisionConfig& vision, int text_hidden,
                                                  const TensorTable& tensors, int64_t patches, bool clipped,
                                                  bool force_bounds) {
  const int64_t k = vision.pooling_kernel_size;
  if (patches <= 0 || k <= 0 || patches % (k * k) != 0) {
    return Error(ErrorCode::kInvalidArgument, "gemma4 vision graph: " + std::to_string(patches) +
                                                  " patches do not fit pooling " + std::to_string(k) + "x" +
                                                  std::to_string(k));
  }
  if (vision.head_dim <= 0 || vision.head_dim % 4 != 0 || vision.num_key_value_heads <= 0) {
    return Error(ErrorCode::kInvalidArgument, "gemma4 vision graph: head_dim must be a positive multiple of 4");
  }
  const int64_t width = 3 * static_cast<int64_t>(vision.patch_size) * vision.patch_size;
  HFB_TRY(graph->add_input(kGraphPixelValues, DTypeId::kF32, {patches, width}));
  HFB_TRY(graph->add_input(kGraphImagePositionIds, DTypeId::kI64, {patches, 2}));
  VisionBuilder builder(graph, vision, tensors, clipped, force_bounds);
  return builder.build(text_hidden);
}

}  // namespace hfb
