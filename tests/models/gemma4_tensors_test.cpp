// Gemma 4 tensor roles and the check against the config, on tables built in code.
#include <gtest/gtest.h>

#include <filesystem>

#include "models/gemma4/gemma4_config.h"
#include "tests/models/fixture_config.h"
#include "models/gemma4/gemma4_tensors.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;


ModelConfig load_config(const std::string& fixture) { return test::load_fixture_config(fixture); }

/// A table of the expected tensors (optionally without unused extras / clip bounds), BF16, no bytes.
TensorTable make_table(const ModelConfig& config, bool with_unused, bool with_clip_bounds) {
  TensorTable table;
  auto source = std::make_shared<MemorySource>(std::vector<uint8_t>{}, "model.safetensors");
  for (const ExpectedTensor& t : expected_gemma4_tensors(config)) {
    if (t.presence == TensorPresence::kUnused && !with_unused) continue;
    if (t.presence == TensorPresence::kClipBound && !with_clip_bounds) continue;
    TensorInfo info;
    info.name = t.name;
    info.dtype = DTypeId::kBF16;
    info.shape = t.shape;
    info.source = source;
    info.role = Role::kNorm;  // the reader must overwrite role, tower and layer
    info.tower = Tower::kText;
    EXPECT_TRUE(table.add(std::move(info)));
  }
  return table;
}

TEST(Gemma4Tensors, SampleRolesAssigned) {
  const ModelConfig config = load_config("sample");
  TensorTable table = make_table(config, false, true);
  std::vector<Diagnostic> diagnostics;
  ASSERT_TRUE(assign_gemma4_roles(config, &table, &diagnostics).ok());
  EXPECT_TRUE(diagnostics.empty());
  EXPECT_EQ(table.size(), 67u);  // what fixtures/gemma4/sample/model.safetensors holds
  const TensorInfo* q = table.find("model.layers.1.self_attn.q_proj.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->role, Role::kAttnQ);
  EXPECT_EQ(q->layer, 1);
  EXPECT_EQ(q->shape, (Shape{128, 64}));  // 2 heads * head_dim 64
  EXPECT_EQ(table.find("model.embed_tokens.weight")->role, Role::kTokenEmbedding);
  EXPECT_EQ(table.find("model.embed_tokens.weight")->layer, -1);
  EXPECT_EQ(table.find("model.embed_tokens_per_layer.weight")->role, Role::kPleTable);
  EXPECT_EQ(table.find("model.per_layer_model_projection.weight")->role, Role::kPleProjection);
  EXPECT_EQ(table.find("model.layers.0.per_layer_input_gate.weight")->role, Role::kPleGate);
  EXPECT_EQ(table.find("model.layers.0.per_layer_projection.weight")->role, Role::kPleLayerProjection);
  EXPECT_EQ(table.find("model.layers.3.layer_scalar")->role, Role::kLayerScalar);
  EXPECT_EQ(table.find("model.layers.2.mlp.down_proj.weight")->role, Role::kMlpDown);
  EXPECT_EQ(table.find("model.layers.0.self_attn.k_norm.weight")->role, Role::kAttnKNorm);
  EXPECT_EQ(table.find("model.layers.2.self_attn.k_proj.weight"), nullptr);  // shared layer: no K/V
  for (const TensorInfo& info : table.tensors()) EXPECT_TRUE(info.used) << info.name;
}

TEST(Gemma4Tensors, ReleaseExtrasFlaggedUnused) {
  const ModelConfig config = load_config("sample");
  TensorTable table = make_table(config, true, true);
  ASSERT_TRUE(assign_gemma4_roles(config, &table, nullptr).ok());
  const TensorInfo* k = table.find("model.layers.3.self_attn.k_proj.weight");
  ASSERT_NE(k, nullptr);
  EXPECT_FALSE(k->used);
  EXPECT_EQ(k->role, Role::kAttnK);
  EXPECT_NE(k->unused_reason.find("kv-shared layer 3 reads layer 1's K/V"), std::string::npos) << k->unused_reason;
  EXPECT_FALSE(table.find("lm_head.weight")->used);  // tied head
}

TEST(Gemma4Tensors, MissingClipBoundsWarnPerTower) {
  const ModelConfig config = load_config("mm");  // audio and vision clipping both on
  TensorTable table = make_table(config, false, false);
  std::vector<Diagnostic> diagnostics;
  ASSERT_TRUE(assign_gemma4_roles(config, &table, &diagnostics).ok());
  ASSERT_EQ(diagnostics.size(), 2u);
  EXPECT_EQ(diagnostics[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_NE(diagnostics[0].message.find("audio_config.use_clipped_linears is true but 120 of 120"),
            std::string::npos)
      << diagnostics[0].message;  // 3 layers * 10 clippable linears * 4 bounds
  EXPECT_NE(diagnostics[1].message.find("vision_config.use_clipped_linears"), std::string::npos);
  EXPECT_EQ(table.find("model.embed_audio.embedding_projection.weight")->role, Role::kEmbedderProjection);
  EXPECT_EQ(table.find("model.embed_audio.embedding_projection.weight")->tower, Tower::kAudio);
  EXPECT_EQ(table.find("model.vision_tower.std_scale")->role, Role::kVisionStandardizeScale);
  const TensorInfo* conv = table.find("model.audio_tower.layers.2.lconv1d.depthwise_conv1d.weight");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->role, Role::kAudioDepthwiseConv);
  EXPECT_EQ(conv->tower, Tower::kAudio);
  EXPECT_EQ(conv->layer, 2);
}

TEST(Gemma4Tensors, UnknownTensorNamed) {
  const ModelConfig config = load_config("sample");
  TensorTable table = make_table(config, false, true);
  TensorInfo extra = table.tensors().front();
  extra.name = "model.layers.0.self_attn.q_proj.weight_scale";
  table.add(extra);
  Status s = assign_gemma4_roles(config, &table, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidFile);
  EXPECT_EQ(s.error().to_string(),
            "model.safetensors: tensor 'model.layers.0.self_attn.q_proj.weight_scale': not a tensor of "
            "Gemma4ForCausalLM with this config.json");
}

TEST(Gemma4Tensors, WrongShapeNamesConfigKeys) {
  const ModelConfig config = load_config("sample");
  TensorTable table = make_table(config, false, true);
  table.find_mutable("model.layers.0.mlp.up_proj.weight")->shape = Shape{192, 65};
  Status s = assign_gemma4_roles(config, &table, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidFile);
  EXPECT_EQ(s.error().to_string(),
            "model.safetensors: tensor 'model.layers.0.mlp.up_proj.weight': shape [192, 65], expected [192, 64] "
            "(from config.json: intermediate_size=192, hidden_size=64)");
}

TEST(Gemma4Tensors, MissingRequiredTensor) {
  const ModelConfig config = load_config("text-kveqv");
  TensorTable full = make_table(config, false, true);
  TensorTable table;
  for (const TensorInfo& info : full.tensors()) {
    if (info.name != "model.layers.1.self_attn.k_proj.weight") table.add(info);
  }
  Status s = assign_gemma4_roles(config, &table, nullptr, {"config.json", "ckpt"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.error().to_string(),
            "ckpt: tensor 'model.layers.1.self_attn.k_proj.weight': checkpoint lacks this tensor (expected [56, 80] "
            "from config.json: num_key_value_heads=1, head_dim=56 (layer 1, full attention), hidden_size=80)");
}

TEST(Gemma4Tensors, KeqvLayersHaveNoVProjection) {
  const ModelConfig config = load_config("text-kveqv");
  TensorTable table = make_table(config, false, true);
  ASSERT_TRUE(assign_gemma4_roles(config, &table, nullptr).ok());
  EXPECT_EQ(table.find("model.layers.1.self_attn.v_proj.weight"), nullptr);
  EXPECT_NE(table.find("model.layers.0.self_attn.v_proj.weight"), nullptr);
  EXPECT_EQ(table.find("model.layers.4.mlp.up_proj.weight")->shape, (Shape{224, 80}));
}

TEST(Gemma4Tensors, NonFloatDtypeUnsupported) {
  const ModelConfig config = load_config("sample");
  TensorTable table = make_table(config, false, true);
  table.find_mutable("model.norm.weight")->dtype = DTypeId::kI32;
  Status s = assign_gemma4_roles(config, &table, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(s.error().to_string().find("tensor 'model.norm.weight': dtype I32"), std::string::npos);
}

TEST(Gemma4Tensors, NamesAreAnchoredNotSubstrings) {
  // A text layer name under the vision prefix is not a text tensor, even though it ends like one.
  const ModelConfig config = load_config("sample");
  TensorTable table = make_table(config, false, true);
  TensorInfo extra = table.tensors().front();
  extra.name = "model.vision_tower.model.layers.0.self_attn.q_proj.weight";
  table.add(extra);
  Status s = assign_gemma4_roles(config, &table, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().to_string().find("(the config has no vision_config)"), std::string::npos);
}

}  // namespace
}  // namespace hfb
