// Builds the Gemma 4 text decoder op graph: scaled embedding, per-layer embeddings (PLE), sandwich-normed
// attention with q/k/v norms, RoPE (default / proportional), KV sharing, MLP, layer_scalar, tied head, softcap.
#include "models/gemma4/text_graph_builder.h"

#include <cmath>
#include <set>
#include <string>
#include <utility>

namespace hfb {

namespace {

/// The rope node's attributes of a layer (q and k rotate alike).
Attributes rope_attributes(const TextLayerSpec& spec) {
  return {{"rope_type", std::string(spec.rope.type == RopeType::kProportional ? "proportional" : "default")},
          {"theta", spec.rope.theta},
          {"partial_rotary_factor", spec.rope.partial_rotary_factor},
          {"head_dim", static_cast<int64_t>(spec.head_dim)}};
}

std::string layer_value(int layer, const std::string& what) {
  return "l" + std::to_string(layer) + "." + what;
}

std::string state_name(int layer) { return "kv." + std::to_string(layer); }

class TextGraphBuilder {
 public:
  TextGraphBuilder(const ModelConfig& config, const TensorTable& tensors)
      : config_(config), text_(config.text), tensors_(tensors) {}

  Result<Graph> build();

 private:
  Result<std::string> weight(const std::string& suffix);
  bool has_weight(const std::string& suffix) const { return tensors_.find(prefix_ + suffix) != nullptr; }
  Result<std::string> op(OpType op, std::vector<std::string> inputs, Attributes attrs, const std::string& out);
  Result<std::string> norm(const std::string& x, const std::string& weight_suffix, const std::string& out);
  Attributes gather_attributes(double scale) const;
  Result<std::string> embed();
  Result<std::string> per_layer_inputs(const std::string& embedded);
  Result<std::string> attention(const TextLayerSpec& spec, const std::string& x);
  Result<std::pair<std::string, std::string>> key_value(const TextLayerSpec& spec, const std::string& x,
                                                        const std::string& attn);
  Result<std::string> mlp(const TextLayerSpec& spec, const std::string& x);
  Result<std::string> moe_block(int layer, const std::string& residual, const std::string& mlp_out);
  Result<std::string> ple_block(int layer, const std::string& x, const std::string& ple);
  Result<std::string> decoder_layer(const TextLayerSpec& spec, const std::string& x, const std::string& ple);
  Result<std::string> head(const std::string& x);
  Status check_all_consumed() const;
  Status declare_states();

  const ModelConfig& config_;
  const TextConfig& text_;
  const TensorTable& tensors_;
  Graph graph_;
  std::string prefix_;
  std::string blocks_;  ///< token_blocks output for bidirectional image attention ("" : causal)
  OpType activation_ = OpType::kGeluTanh;
  std::set<std::string> consumed_;
};

Result<std::string> TextGraphBuilder::weight(const std::string& suffix) {
  std::string name = prefix_ + suffix;
  const TensorInfo* info = tensors_.find(name);
  if (!info) {
    return Error(ErrorCode::kNotFound, "gemma4 graph: required tensor is missing").with_tensor(name);
  }
  if (!info->used) {
    return Error(ErrorCode::kInvalidArgument, "gemma4 graph: tensor needed by the graph is flagged unused (" +
                                                  info->unused_reason + ")")
        .with_tensor(name);
  }
  if (consumed_.insert(name).second) HFB_TRY(graph_.add_initializer(name, *info));
  return name;
}

Result<std::string> TextGraphBuilder::op(OpType type, std::vector<std::string> inputs, Attributes attrs,
                                         const std::string& out) {
  HFB_TRY(graph_.add_node(type, out, std::move(inputs), std::move(attrs), out));
  return out;
}

Result<std::string> TextGraphBuilder::norm(const std::string& x, const std::string& weight_suffix,
                                           const std::string& out) {
  std::string w;
  if (!weight_suffix.empty()) {
    HFB_TRY(w, weight(weight_suffix));
  }
  return op(OpType::kRmsNorm, {x, w}, {{"eps", text_.rms_norm_eps}}, out);
}

Attributes TextGraphBuilder::gather_attributes(double scale) const {
  // HF embeds multimodal placeholder ids as pad, for the token table and the PLE table alike.
  std::vector<int64_t> placeholders;
  for (int id : {config_.image_token_id, config_.video_token_id, config_.audio_token_id}) {
    if (id >= 0) placeholders.push_back(id);
  }
  Attributes attrs{{"scale", scale}};
  if (!placeholders.empty()) {
    attrs["replace_ids"] = placeholders;
    attrs["replace_with"] = static_cast<int64_t>(text_.pad_token_id);
  }
  return attrs;
}

Result<std::string> TextGraphBuilder::embed() {
  HFB_TRY(std::string table, weight("embed_tokens.weight"));
  // HF: embed_tokens(x) * float32(sqrt(hidden_size)) (non-persistent f32 buffer).
  double scale = static_cast<float>(std::sqrt(static_cast<double>(text_.hidden_size)));
  return op(OpType::kGather, {table, kGraphInputIds}, gather_attributes(scale), hidden_states_tap(0));
}

Result<std::string> TextGraphBuilder::per_layer_inputs(const std::string& embedded) {
  const int64_t layers = text_.num_hidden_layers;
  const int64_t width = text_.hidden_size_per_layer_input;
  HFB_TRY(std::string table, weight("embed_tokens_per_layer.weight"));
  double token_scale = static_cast<float>(std::sqrt(static_cast<double>(width)));
  HFB_TRY(auto tokens, op(OpType::kGather, {table, kGraphInputIds}, gather_attributes(token_scale), "ple.token"));
  HFB_TRY(std::string projection_w, weight("per_layer_model_projection.weight"));
  HFB_TRY(auto projected, op(OpType::kLinear, {embedded, projection_w}, {}, "ple.projected"));
  double projection_scale = 1.0 / std::sqrt(static_cast<double>(text_.hidden_size));
  HFB_TRY(auto scaled, op(OpType::kMulScalar, {projected}, {{"value", projection_scale}}, "ple.projected_scaled"));
  std::vector<int64_t> split{kSeqDim, layers, width};
  HFB_TRY(auto split_projection, op(OpType::kReshape, {scaled}, {{"shape", split}}, "ple.projected_split"));
  HFB_TRY(auto normed, norm(split_projection, "per_layer_projection_norm.weight", "ple.projected_normed"));
  HFB_TRY(auto split_tokens, op(OpType::kReshape, {tokens}, {{"shape", split}}, "ple.token_split"));
  HFB_TRY(auto sum, op(OpType::kAdd, {normed, split_tokens}, {}, "ple.sum"));
  HFB_TRY(auto combined, op(OpType::kMulScalar, {sum}, {{"value", std::sqrt(0.5)}}, "ple.combined"));
  std::vector<int64_t> packed{kSeqDim, layers * width};
  return op(OpType::kReshape, {combined}, {{"shape", packed}}, "ple.packed");
}

Result<std::pair<std::string, std::string>> TextGraphBuilder::key_value(const TextLayerSpec& spec,
                                                                        const std::string& x,
                                                                        const std::string& attn) {
  const int i = spec.index;
  std::vector<int64_t> heads{kSeqDim, spec.num_kv_heads, spec.head_dim};
  HFB_TRY(std::string k_w, weight(attn + "k_proj.weight"));
  HFB_TRY(auto k, op(OpType::kLinear, {x, k_w}, {}, layer_value(i, "k")));
  HFB_TRY(auto k_heads, op(OpType::kReshape, {k}, {{"shape", heads}}, layer_value(i, "k_heads")));
  std::string v_heads = k_heads;  // attention_k_eq_v: V is the raw k_proj output
  if (!spec.k_eq_v) {
    HFB_TRY(std::string v_w, weight(attn + "v_proj.weight"));
    HFB_TRY(auto v, op(OpType::kLinear, {x, v_w}, {}, layer_value(i, "v")));
    HFB_TRY(v_heads, op(OpType::kReshape, {v}, {{"shape", heads}}, layer_value(i, "v_heads")));
  }
  HFB_TRY(auto k_normed, norm(k_heads, attn + "k_norm.weight", layer_value(i, "k_normed")));
  const Attributes rope = rope_attributes(spec);
  HFB_TRY(auto k_roped, op(OpType::kRope, {k_normed, kGraphPositions}, rope, layer_value(i, "k_roped")));
  HFB_TRY(auto v_normed, norm(v_heads, "", layer_value(i, "v_normed")));
  return std::make_pair(k_roped, v_normed);
}

Result<std::string> TextGraphBuilder::attention(const TextLayerSpec& spec, const std::string& x) {
  const int i = spec.index;
  const std::string attn = "layers." + std::to_string(i) + ".self_attn.";
  bool shared = spec.kv_shared_from >= 0;
  const TextLayerSpec& kv_spec = shared ? text_.layers[spec.kv_shared_from] : spec;
  HFB_TRY(std::string q_w, weight(attn + "q_proj.weight"));
  HFB_TRY(auto q, op(OpType::kLinear, {x, q_w}, {}, layer_value(i, "q")));
  std::vector<int64_t> heads{kSeqDim, spec.num_heads, spec.head_dim};
  HFB_TRY(auto q_heads, op(OpType::kReshape, {q}, {{"shape", heads}}, layer_value(i, "q_heads")));
  HFB_TRY(auto q_normed, norm(q_heads, attn + "q_norm.weight", layer_value(i, "q_normed")));
  const Attributes rope = rope_attributes(spec);
  HFB_TRY(auto q_roped, op(OpType::kRope, {q_normed, kGraphPositions}, rope, layer_value(i, "q_roped")));
  std::string k, v;
  if (!shared) {
    HFB_TRY(auto kv, key_value(spec, x, attn));
    k = kv.first;
    v = kv.second;
  }
  int64_t window = spec.attention == AttentionType::kSliding ? text_.sliding_window : 0;
  Attributes attrs{{"num_heads", static_cast<int64_t>(spec.num_heads)},
                   {"num_kv_heads", static_cast<int64_t>(kv_spec.num_kv_heads)},
                   {"head_dim", static_cast<int64_t>(kv_spec.head_dim)},
                   {"window", window},
                   {"causal", int64_t{1}},
                   {"scaling", 1.0},
                   {"softcap", 0.0},
                   {"state", state_name(kv_spec.index)},
                   {"writes_state", int64_t{shared ? 0 : 1}}};
  std::vector<std::string> inputs{q_roped, k, v, kGraphPositions};
  // use_bidirectional_attention "vision": sliding layers only (HF create_masks_for_vision_model).
  if (!blocks_.empty() && spec.attention == AttentionType::kSliding) inputs.push_back(blocks_);
  HFB_TRY(auto context, op(OpType::kAttention, std::move(inputs), attrs, layer_value(i, "attn")));
  std::vector<int64_t> flat{kSeqDim, static_cast<int64_t>(spec.num_heads) * spec.head_dim};
  HFB_TRY(auto merged, op(OpType::kReshape, {context}, {{"shape", flat}}, layer_value(i, "attn_merged")));
  HFB_TRY(std::string o_w, weight(attn + "o_proj.weight"));
  return op(OpType::kLinear, {merged, o_w}, {}, layer_value(i, "attn_out"));
}

Result<std::string> TextGraphBuilder::mlp(const TextLayerSpec& spec, const std::string& x) {
  const int i = spec.index;
  const std::string base = "layers." + std::to_string(i) + ".mlp.";
  HFB_TRY(std::string gate_w, weight(base + "gate_proj.weight"));
  HFB_TRY(std::string up_w, weight(base + "up_proj.weight"));
  HFB_TRY(std::string down_w, weight(base + "down_proj.weight"));
  HFB_TRY(auto gate, op(OpType::kLinear, {x, gate_w}, {}, layer_value(i, "mlp_gate")));
  HFB_TRY(auto act, op(activation_, {gate}, {}, layer_value(i, "mlp_act")));
  HFB_TRY(auto up, op(OpType::kLinear, {x, up_w}, {}, layer_value(i, "mlp_up")));
  HFB_TRY(auto product, op(OpType::kMul, {act, up}, {}, layer_value(i, "mlp_product")));
  return op(OpType::kLinear, {product, down_w}, {}, layer_value(i, "mlp_out"));
}

// HF Gemma4TextDecoderLayer with enable_moe_block: the router and the experts read the residual stream `r`
// entering the feed-forward part; ffn = post_ff_1(mlp) + post_ff_2(sum_j w_j expert_j(pre_ff_2(r))).
Result<std::string> TextGraphBuilder::moe_block(int i, const std::string& residual, const std::string& mlp_out) {
  const std::string base = "layers." + std::to_string(i) + ".";
  HFB_TRY(auto dense, norm(mlp_out, base + "post_feedforward_layernorm_1.weight", layer_value(i, "mlp_dense_normed")));
  // Router: RMSNorm without weight, times router.scale (one rms_norm with that weight), times hidden^-0.5.
  HFB_TRY(auto router_in, norm(residual, base + "router.scale", layer_value(i, "router_in")));
  const double root = 1.0 / std::sqrt(static_cast<double>(text_.hidden_size));
  HFB_TRY(auto router_scaled, op(OpType::kMulScalar, {router_in}, {{"value", root}}, layer_value(i, "router_scaled")));
  HFB_TRY(std::string proj_w, weight(base + "router.proj.weight"));
  HFB_TRY(auto logits, op(OpType::kLinear, {router_scaled, proj_w}, {}, layer_value(i, "router_logits")));
  HFB_TRY(std::string expert_scale, weight(base + "router.per_expert_scale"));
  const int64_t top_k = text_.top_k_experts;
  HFB_TRY(auto routing, op(OpType::kMoeRoute, {logits, expert_scale}, {{"top_k", top_k}}, moe_routing_tap(i)));
  HFB_TRY(graph_.mark_tap(routing));
  HFB_TRY(auto experts_in, norm(residual, base + "pre_feedforward_layernorm_2.weight", layer_value(i, "experts_in")));
  HFB_TRY(std::string gate_up, weight(base + "experts.gate_up_proj"));
  HFB_TRY(std::string down, weight(base + "experts.down_proj"));
  const std::string activation = activation_ == OpType::kSilu ? "silu" : "gelu_tanh";
  HFB_TRY(auto experts, op(OpType::kMoeExperts, {experts_in, routing, gate_up, down},
                           {{"top_k", top_k}, {"activation", activation}}, layer_value(i, "experts_out")));
  HFB_TRY(auto routed, norm(experts, base + "post_feedforward_layernorm_2.weight", layer_value(i, "experts_normed")));
  return op(OpType::kAdd, {dense, routed}, {}, layer_value(i, "ffn"));
}

Result<std::string> TextGraphBuilder::ple_block(int i, const std::string& x, const std::string& ple) {
  const std::string base = "layers." + std::to_string(i) + ".";
  const int64_t width = text_.hidden_size_per_layer_input;
  Attributes range{{"axis", int64_t{1}}, {"start", i * width}, {"end", (i + 1) * width}};
  HFB_TRY(auto input, op(OpType::kSlice, {ple}, range, layer_value(i, "ple_input")));
  HFB_TRY(std::string gate_w, weight(base + "per_layer_input_gate.weight"));
  HFB_TRY(std::string proj_w, weight(base + "per_layer_projection.weight"));
  HFB_TRY(auto gate, op(OpType::kLinear, {x, gate_w}, {}, layer_value(i, "ple_gate")));
  HFB_TRY(auto act, op(activation_, {gate}, {}, layer_value(i, "ple_act")));
  HFB_TRY(auto product, op(OpType::kMul, {act, input}, {}, layer_value(i, "ple_product")));
  HFB_TRY(auto projected, op(OpType::kLinear, {product, proj_w}, {}, layer_value(i, "ple_projected")));
  HFB_TRY(auto normed, norm(projected, base + "post_per_layer_input_norm.weight", layer_value(i, "ple_normed")));
  return op(OpType::kAdd, {x, normed}, {}, layer_value(i, "after_ple"));
}

Result<std::string> TextGraphBuilder::decoder_layer(const TextLayerSpec& spec, const std::string& x,
                                                    const std::string& ple) {
  const int i = spec.index;
  const std::string base = "layers." + std::to_string(i) + ".";
  HFB_TRY(auto normed, norm(x, base + "input_layernorm.weight", layer_value(i, "attn_in")));
  HFB_TRY(auto attn, attention(spec, normed));
  HFB_TRY(auto attn_normed, norm(attn, base + "post_attention_layernorm.weight", layer_value(i, "attn_normed")));
  HFB_TRY(auto residual, op(OpType::kAdd, {x, attn_normed}, {}, layer_value(i, "after_attn")));
  HFB_TRY(auto mlp_in, norm(residual, base + "pre_feedforward_layernorm.weight", layer_value(i, "mlp_in")));
  HFB_TRY(auto mlp_out, mlp(spec, mlp_in));
  if (text_.enable_moe_block) {
    HFB_TRY(mlp_out, moe_block(i, residual, mlp_out));
  }
  HFB_TRY(auto mlp_normed, norm(mlp_out, base + "post_feedforward_layernorm.weight", layer_value(i, "mlp_normed")));
  HFB_TRY(std::string out, op(OpType::kAdd, {residual, mlp_normed}, {}, layer_value(i, "after_mlp")));
  if (!ple.empty()) {
    HFB_TRY(out, ple_block(i, out, ple));
  }
  std::string name = i + 1 < text_.num_hidden_layers ? hidden_states_tap(i + 1) : layer_value(i, "out");
  if (!has_weight(base + "layer_scalar")) return op(OpType::kMulScalar, {out}, {{"value", 1.0}}, name);
  HFB_TRY(std::string scalar, weight(base + "layer_scalar"));
  return op(OpType::kMul, {out, scalar}, {}, name);
}

Result<std::string> TextGraphBuilder::head(const std::string& x) {
  const int n = text_.num_hidden_layers;
  HFB_TRY(auto normed, norm(x, "norm.weight", hidden_states_tap(n)));
  std::string head_w;
  const TensorInfo* lm_head = tensors_.find("lm_head.weight");
  if (!text_.tie_word_embeddings && lm_head && lm_head->used) {
    if (consumed_.insert(lm_head->name).second) HFB_TRY(graph_.add_initializer(lm_head->name, *lm_head));
    head_w = lm_head->name;
  } else {
    HFB_TRY(head_w, weight("embed_tokens.weight"));
  }
  double cap = text_.final_logit_softcapping;
  HFB_TRY(auto logits, op(OpType::kLinear, {normed, head_w}, {}, cap > 0.0 ? "logits_raw" : kGraphLogits));
  if (cap > 0.0) {
    HFB_TRY(logits, op(OpType::kSoftcap, {logits}, {{"cap", cap}}, kGraphLogits));
  }
  for (int i = 0; i <= n; ++i) HFB_TRY(graph_.mark_tap(hidden_states_tap(i)));
  HFB_TRY(graph_.mark_output(kGraphLogits));
  return logits;
}

Status TextGraphBuilder::check_all_consumed() const {
  for (const TensorInfo& info : tensors_.tensors()) {
    if (info.tower != Tower::kText || !info.used || consumed_.count(info.name)) continue;
    if (info.role == Role::kEmbedderProjection) continue;  // multimodal embedders belong to the towers
    return Error(ErrorCode::kInvalidArgument,
                 "gemma4 graph: tensor is flagged used but the text graph does not consume it (mark it unused or "
                 "fix the config)")
        .with_tensor(info.name);
  }
  return ok_status();
}

Status TextGraphBuilder::declare_states() {
  for (const TextLayerSpec& spec : text_.layers) {
    if (spec.kv_shared_from >= 0) {
      if (spec.kv_shared_from >= spec.index || text_.layers[spec.kv_shared_from].kv_shared_from >= 0 ||
          text_.layers[spec.kv_shared_from].attention != spec.attention) {
        return Error(ErrorCode::kInvalidArgument, "gemma4 graph: layer " + std::to_string(spec.index) +
                                                      " shares K/V with an invalid source layer " +
                                                      std::to_string(spec.kv_shared_from));
      }
      continue;
    }
    int64_t window = spec.attention == AttentionType::kSliding ? text_.sliding_window : 0;
    HFB_TRY(graph_.add_state({state_name(spec.index), spec.num_kv_heads, spec.head_dim, window}));
  }
  return ok_status();
}

Result<Graph> TextGraphBuilder::build() {
  if (text_.num_hidden_layers <= 0 || static_cast<int>(text_.layers.size()) != text_.num_hidden_layers) {
    return Error(ErrorCode::kInvalidArgument, "gemma4 graph: config has " + std::to_string(text_.layers.size()) +
                                                  " layer specs for num_hidden_layers " +
                                                  std::to_string(text_.num_hidden_layers));
  }
  if (text_.hidden_activation == "silu") {
    activation_ = OpType::kSilu;
  } else if (text_.hidden_activation != "gelu_pytorch_tanh" && text_.hidden_activation != "gelu_tanh") {
    return Error(ErrorCode::kUnsupported, "gemma4 graph: hidden_activation '" + text_.hidden_activation + "'");
  }
  for (const char* candidate : {"model.language_model.", "model."}) {
    if (tensors_.find(std::string(candidate) + "embed_tokens.weight")) {
      prefix_ = candidate;
      break;
    }
  }
  if (prefix_.empty()) {
    return Error(ErrorCode::kNotFound, "gemma4 graph: no text embedding table").with_tensor("model.embed_tokens.weight");
  }
  HFB_TRY(graph_.add_input(kGraphInputIds, DTypeId::kI64, {kSeqDim}));
  HFB_TRY(graph_.add_input(kGraphPositions, DTypeId::kI64, {kSeqDim}));
  HFB_TRY(declare_states());
  HFB_TRY(std::string x, embed());
  if (text_.bidirectional_attention == "vision" && config_.image_token_id >= 0) {
    // HF: mm_token_type_ids is 1 / 2 at image / video placeholders; each run of them is one block.
    std::vector<int64_t> block_tokens{config_.image_token_id};
    if (config_.video_token_id >= 0) block_tokens.push_back(config_.video_token_id);
    HFB_TRY(blocks_, op(OpType::kTokenBlocks, {kGraphInputIds}, {{"token_ids", block_tokens}}, "mm_blocks"));
    HFB_TRY(graph_.mark_tap(blocks_));
  }
  std::string ple;
  if (text_.hidden_size_per_layer_input > 0) {
    HFB_TRY(ple, per_layer_inputs(x));
  }
  for (const TextLayerSpec& spec : text_.layers) {
    auto layer = decoder_layer(spec, x, ple);
    if (!layer.ok()) return std::move(layer).error().with_context("while building layer " + std::to_string(spec.index));
    x = layer.value();
  }
  HFB_TRY(head(x));
  HFB_TRY(check_all_consumed());
  return std::move(graph_);
}

}  // namespace

Result<Graph> build_gemma4_text_graph(const ModelConfig& config, const TensorTable& tensors) {
  TextGraphBuilder builder(config, tensors);
  return builder.build();
}

}  // namespace hfb
