// Synthetic Gemma-4-shaped models: resolved config plus seeded random tensors named as HF writes them.
#include "models/gemma4/gemma4_synthetic.h"

#include <cstring>
#include <memory>
#include <random>

#include "core/byte_source.h"

namespace hfb {
namespace {

class TensorMaker {
 public:
  TensorMaker(const SyntheticModelSpec& spec, Model& out) : spec_(spec), out_(out), rng_(spec.seed) {}

  void add(const std::string& name, std::vector<int64_t> dims, Role role, int layer, float center = 0.0f) {
    int64_t count = 1;
    for (int64_t d : dims) count *= d;
    std::vector<float> data(static_cast<size_t>(count));
    std::uniform_real_distribution<float> dist(-spec_.weight_scale, spec_.weight_scale);
    for (float& x : data) x = center + dist(rng_);
    TensorInfo info;
    info.name = name;
    info.dtype = DTypeId::kF32;
    info.shape = Shape(dims);
    info.num_bytes = static_cast<uint64_t>(count) * 4;
    info.role = role;
    info.layer = layer;
    std::vector<uint8_t> bytes(info.num_bytes);
    std::memcpy(bytes.data(), data.data(), info.num_bytes);
    info.source = std::make_shared<MemorySource>(std::move(bytes), "<synthetic>");
    out_.tensors.add(std::move(info));
  }

 private:
  const SyntheticModelSpec& spec_;
  Model& out_;
  std::mt19937 rng_;
};

void add_layer_tensors(const TextLayerSpec& layer, const SyntheticModelSpec& spec, TensorMaker& make) {
  const int i = layer.index;
  const std::string p = "model.layers." + std::to_string(i) + ".";
  const int64_t h = spec.hidden_size;
  const int64_t q_width = static_cast<int64_t>(layer.num_heads) * layer.head_dim;
  const int64_t kv_width = static_cast<int64_t>(layer.num_kv_heads) * layer.head_dim;
  for (const char* norm : {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                           "post_feedforward_layernorm"}) {
    make.add(p + norm + ".weight", {h}, Role::kNorm, i, 1.0f);
  }
  make.add(p + "self_attn.q_proj.weight", {q_width, h}, Role::kAttnQ, i);
  make.add(p + "self_attn.q_norm.weight", {layer.head_dim}, Role::kAttnQNorm, i, 1.0f);
  make.add(p + "self_attn.o_proj.weight", {h, q_width}, Role::kAttnO, i);
  if (layer.kv_shared_from < 0) {
    make.add(p + "self_attn.k_proj.weight", {kv_width, h}, Role::kAttnK, i);
    make.add(p + "self_attn.k_norm.weight", {layer.head_dim}, Role::kAttnKNorm, i, 1.0f);
    if (!layer.k_eq_v) make.add(p + "self_attn.v_proj.weight", {kv_width, h}, Role::kAttnV, i);
  }
  make.add(p + "mlp.gate_proj.weight", {layer.intermediate_size, h}, Role::kMlpGate, i);
  make.add(p + "mlp.up_proj.weight", {layer.intermediate_size, h}, Role::kMlpUp, i);
  make.add(p + "mlp.down_proj.weight", {h, layer.intermediate_size}, Role::kMlpDown, i);
  if (spec.ple_width > 0) {
    make.add(p + "per_layer_input_gate.weight", {spec.ple_width, h}, Role::kPleGate, i);
    make.add(p + "per_layer_projection.weight", {h, spec.ple_width}, Role::kPleLayerProjection, i);
    make.add(p + "post_per_layer_input_norm.weight", {h}, Role::kNorm, i, 1.0f);
  }
  make.add(p + "layer_scalar", {1}, Role::kLayerScalar, i, 1.0f);
}

}  // namespace

Result<ModelConfig> synthetic_gemma4_config(const SyntheticModelSpec& spec) {
  if (spec.num_layers <= 0 || spec.full_every <= 0 || spec.num_kv_heads <= 0 || spec.full_kv_heads <= 0 ||
      spec.num_heads % spec.num_kv_heads != 0 || spec.num_heads % spec.full_kv_heads != 0) {
    return Error(ErrorCode::kInvalidArgument, "synthetic model: inconsistent layer/head counts");
  }
  ModelConfig config;
  config.architecture = "Gemma4ForCausalLM";
  config.model_type = "gemma4_text";
  TextConfig& t = config.text;
  t.num_hidden_layers = spec.num_layers;
  t.hidden_size = spec.hidden_size;
  t.vocab_size = spec.vocab_size;
  t.vocab_size_per_layer_input = spec.vocab_size;
  t.hidden_size_per_layer_input = spec.ple_width;
  t.num_attention_heads = spec.num_heads;
  t.num_kv_shared_layers = spec.num_kv_shared_layers;
  t.sliding_window = spec.sliding_window;
  t.final_logit_softcapping = 30.0;
  t.hidden_activation = "gelu_pytorch_tanh";
  const int first_shared = spec.num_layers - spec.num_kv_shared_layers;
  for (int i = 0; i < spec.num_layers; ++i) {
    TextLayerSpec layer;
    layer.index = i;
    bool full = i % spec.full_every == spec.full_every - 1;
    layer.attention = full ? AttentionType::kFull : AttentionType::kSliding;
    layer.head_dim = full ? spec.full_head_dim : spec.head_dim;
    layer.num_heads = spec.num_heads;
    layer.num_kv_heads = full ? spec.full_kv_heads : spec.num_kv_heads;
    layer.k_eq_v = full && spec.k_eq_v;
    bool shared = i >= first_shared && first_shared > 0;
    layer.intermediate_size = spec.intermediate_size * (shared && spec.double_wide_mlp ? 2 : 1);
    layer.rope = full ? RopeSpec{RopeType::kProportional, 1e6, 0.25} : RopeSpec{RopeType::kDefault, 1e4, 1.0};
    if (shared) {
      for (int k = first_shared - 1; k >= 0; --k) {
        if (t.layers[k].attention == layer.attention) {
          layer.kv_shared_from = k;
          break;
        }
      }
      if (layer.kv_shared_from < 0) {
        return Error(ErrorCode::kInvalidArgument,
                     "synthetic model: shared layer " + std::to_string(i) + " has no source of its type");
      }
      layer.k_eq_v = false;
    }
    t.layers.push_back(layer);
  }
  return config;
}

Result<Model> make_synthetic_gemma4(const SyntheticModelSpec& spec) {
  HFB_TRY(ModelConfig config, synthetic_gemma4_config(spec));
  Model out;
  out.source = "<synthetic>";
  out.config = std::move(config);
  TensorMaker make(spec, out);
  const int64_t h = spec.hidden_size;
  make.add("model.embed_tokens.weight", {spec.vocab_size, h}, Role::kTokenEmbedding, -1);
  if (spec.ple_width > 0) {
    const int64_t packed = static_cast<int64_t>(spec.num_layers) * spec.ple_width;
    make.add("model.embed_tokens_per_layer.weight", {spec.vocab_size, packed}, Role::kPleTable, -1);
    make.add("model.per_layer_model_projection.weight", {packed, h}, Role::kPleProjection, -1);
    make.add("model.per_layer_projection_norm.weight", {spec.ple_width}, Role::kNorm, -1, 1.0f);
  }
  for (const TextLayerSpec& layer : out.config.text.layers) add_layer_tensors(layer, spec, make);
  make.add("model.norm.weight", {h}, Role::kNorm, -1, 1.0f);
  return out;
}

}  // namespace hfb
