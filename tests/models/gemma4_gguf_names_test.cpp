// The Gemma 4 <-> GGUF name table: both directions, every expected tensor of the fixture configs, the swapped audio
// lconv1d norms, the shape transforms, and the config -> metadata keys against llama.cpp's reference GGUFs.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "models/gemma4/gemma4_config.h"
#include "tests/models/fixture_config.h"
#include "models/gemma4/gemma4_gguf_names.h"
#include "models/gemma4/gemma4_tensors.h"

namespace hfb::gemma4_gguf {
namespace {

namespace fs = std::filesystem;


ModelConfig load_config(const std::string& fixture) { return test::load_fixture_config(fixture); }

TEST(Gemma4GgufNames, TextNamesBothWays) {
  const ModelConfig config = load_config("sample");
  const struct {
    const char* hf;
    const char* gguf;
  } cases[] = {
      {"model.embed_tokens.weight", "token_embd.weight"},
      {"model.embed_tokens_per_layer.weight", "per_layer_token_embd.weight"},
      {"model.per_layer_model_projection.weight", "per_layer_model_proj.weight"},
      {"model.layers.3.layer_scalar", "blk.3.layer_output_scale.weight"},
      {"model.layers.12.self_attn.o_proj.weight", "blk.12.attn_output.weight"},
      {"model.layers.0.pre_feedforward_layernorm.weight", "blk.0.ffn_norm.weight"},
      {"model.layers.1.per_layer_projection.weight", "blk.1.proj.weight"},
      {"model.layers.4.router.per_expert_scale", "blk.4.ffn_down_exps.scale"},
      {"model.layers.4.experts.gate_up_proj", "blk.4.ffn_gate_up_exps.weight"},
      {"model.norm.weight", "output_norm.weight"},
      {"lm_head.weight", "output.weight"},
  };
  for (const auto& c : cases) {
    auto gguf = gguf_name_for(config, c.hf);
    ASSERT_TRUE(gguf.has_value()) << c.hf;
    EXPECT_EQ(gguf->name, c.gguf);
    EXPECT_EQ(gguf->file, GgufFileKind::kText);
    auto hf = hf_name_for(config.model_type, GgufFileKind::kText, c.gguf);
    ASSERT_TRUE(hf.has_value()) << c.gguf;
    EXPECT_EQ(hf->name, c.hf);
  }
  EXPECT_FALSE(gguf_name_for(config, "model.layers.2.self_attn.v_norm.weight").has_value());
  EXPECT_FALSE(gguf_name_for(config, "model.layers.01.self_attn.q_proj.weight").has_value());
  EXPECT_FALSE(gguf_name_for(config, "model.layers.x.self_attn.q_proj.weight").has_value());
  EXPECT_FALSE(hf_name_for("gemma4_text", GgufFileKind::kText, kRopeFreqsName).has_value());
  EXPECT_FALSE(hf_name_for("gemma4_text", GgufFileKind::kMmproj, "token_embd.weight").has_value());
  EXPECT_EQ(hf_name_for("gemma4", GgufFileKind::kText, "blk.0.attn_q.weight")->name,
            "model.language_model.layers.0.self_attn.q_proj.weight");
}

TEST(Gemma4GgufNames, AudioConvNormsAreSwapped) {
  const ModelConfig config = load_config("mm");
  EXPECT_EQ(gguf_name_for(config, "model.audio_tower.layers.1.lconv1d.pre_layer_norm.weight")->name,
            "a.blk.1.conv_norm.weight");
  EXPECT_EQ(gguf_name_for(config, "model.audio_tower.layers.1.lconv1d.conv_norm.weight")->name,
            "a.blk.1.norm_conv.weight");
  EXPECT_EQ(hf_name_for("gemma4", GgufFileKind::kMmproj, "a.blk.2.norm_conv.weight")->name,
            "model.audio_tower.layers.2.lconv1d.conv_norm.weight");
  const auto bound = gguf_name_for(config, "model.vision_tower.encoder.layers.0.self_attn.o_proj.input_max");
  ASSERT_TRUE(bound.has_value());
  EXPECT_EQ(bound->name, "v.blk.0.attn_out.input_max");
  EXPECT_EQ(bound->transform, GgufTransform::kScalarToVector);
  EXPECT_EQ(gguf_name_for(config, "model.vision_tower.encoder.layers.0.mlp.up_proj.linear.weight")->name,
            "v.blk.0.ffn_up.weight");
  EXPECT_EQ(gguf_name_for(config, "model.audio_tower.layers.0.self_attn.per_dim_scale")->transform,
            GgufTransform::kSoftplus);
  EXPECT_TRUE(gguf_name_for(config, "model.vision_tower.patch_embedder.position_embedding_table")->force_f32);
}

TEST(Gemma4GgufNames, EveryExpectedTensorRoundTrips) {
  for (const char* fixture : {"sample", "mm", "moe", "text-kveqv", "vl-bidir", "sample-release"}) {
    const ModelConfig config = load_config(fixture);
    std::set<std::string> gguf_names;
    for (const ExpectedTensor& t : expected_gemma4_tensors(config)) {
      auto gguf = gguf_name_for(config, t.name);
      if (t.role == Role::kAttnVNorm) {
        EXPECT_FALSE(gguf.has_value()) << t.name;
        continue;
      }
      ASSERT_TRUE(gguf.has_value()) << fixture << ": " << t.name;
      EXPECT_LT(gguf->name.size(), 64u) << gguf->name;
      EXPECT_EQ(gguf->file, t.tower == Tower::kText && t.role != Role::kEmbedderProjection ? GgufFileKind::kText
                                                                                           : GgufFileKind::kMmproj)
          << t.name;
      EXPECT_TRUE(gguf_names.insert(gguf->name).second) << "two HF tensors map to " << gguf->name;
      auto back = hf_name_for(config.model_type, gguf->file, gguf->name);
      ASSERT_TRUE(back.has_value()) << gguf->name;
      EXPECT_EQ(back->name, t.name);
      auto ne = gguf_ne_for(gguf->transform, t.shape);
      ASSERT_TRUE(ne.has_value()) << t.name;
      auto shape = hf_shape_for(gguf->transform, *ne);
      ASSERT_TRUE(shape.has_value()) << t.name;
      EXPECT_EQ(*shape, t.shape) << t.name;
    }
  }
}

TEST(Gemma4GgufNames, ShapeTransforms) {
  EXPECT_EQ(*gguf_ne_for(GgufTransform::kNone, Shape{512, 64}), (std::vector<int64_t>{64, 512}));
  EXPECT_EQ(*gguf_ne_for(GgufTransform::kNone, Shape{2, 24, 48}), (std::vector<int64_t>{48, 24, 2}));
  EXPECT_EQ(*gguf_ne_for(GgufTransform::kScalarToVector, Shape{}), (std::vector<int64_t>{1}));
  EXPECT_EQ(*gguf_ne_for(GgufTransform::kSqueezeMiddle, Shape{48, 1, 5}), (std::vector<int64_t>{5, 48}));
  EXPECT_FALSE(gguf_ne_for(GgufTransform::kSqueezeMiddle, Shape{48, 2, 5}).has_value());
  EXPECT_EQ(*gguf_ne_for(GgufTransform::kPatchPermute, Shape{48, 27}), (std::vector<int64_t>{3, 3, 3, 48}));
  EXPECT_FALSE(gguf_ne_for(GgufTransform::kPatchPermute, Shape{48, 30}).has_value());
  EXPECT_EQ(*gguf_ne_for(GgufTransform::kNone, Shape{24, 1, 3, 3}), (std::vector<int64_t>{3, 3, 1, 24}));
}

}  // namespace
}  // namespace hfb::gemma4_gguf
