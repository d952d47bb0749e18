// load_checkpoint on the Gemma 4 fixtures: every fixture loads in both config formats, sharded == single file,
// unused release extras and clip bounds, and errors that name the file, tensor and config key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "models/load_checkpoint.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kGemma4Dir = fs::path(HFB_FIXTURES_DIR) / "gemma4";

Model load(const std::string& fixture, const std::string& config_file = "config.json") {
  CheckpointLoadOptions options;
  options.config_path = (kGemma4Dir / fixture / config_file).string();
  auto model = load_checkpoint((kGemma4Dir / fixture).string(), options);
  EXPECT_TRUE(model.ok()) << fixture << ": " << (model.ok() ? "" : model.error().to_string());
  return model.ok() ? std::move(model).value() : Model{};
}

std::vector<const TensorInfo*> unused_of(const Model& model) {
  std::vector<const TensorInfo*> out;
  for (const TensorInfo& info : model.tensors.tensors()) {
    if (!info.used) out.push_back(&info);
  }
  return out;
}

/// A scratch directory holding a modified config.json, removed at the end of the test.
class ScratchConfig {
 public:
  explicit ScratchConfig(const json& doc) {
    dir_ = fs::temp_directory_path() / ("hfb_model_reader_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "config.json") << doc.dump(2);
  }
  ~ScratchConfig() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path() const { return (dir_ / "config.json").string(); }

 private:
  fs::path dir_;
};

json fixture_json(const std::string& fixture) {
  std::ifstream in(kGemma4Dir / fixture / "config.json");
  return json::parse(in);
}

TEST(ModelReader, EveryFixtureLoadsInBothFormats) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(kGemma4Dir)) {
    const std::string name = entry.path().filename().string();
    if (!fs::exists(entry.path() / "config.json")) continue;
    SCOPED_TRACE(name);
    const Model current = load(name, "config.json");
    const Model release = load(name, "config.release_format.json");
    EXPECT_GT(current.tensors.size(), 0u);
    EXPECT_TRUE(current.config == release.config);
    ASSERT_EQ(current.tensors.size(), release.tensors.size());
    for (size_t i = 0; i < current.tensors.size(); ++i) {
      EXPECT_EQ(current.tensors.tensors()[i].role, release.tensors.tensors()[i].role);
      EXPECT_EQ(current.tensors.tensors()[i].used, release.tensors.tensors()[i].used);
    }
    ++count;
  }
  EXPECT_GE(count, 10);
}

TEST(ModelReader, DefaultConfigAndGenerationConfig) {
  auto model = load_checkpoint((kGemma4Dir / "sample").string());
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  EXPECT_EQ(model->source, (kGemma4Dir / "sample").string());
  EXPECT_EQ(model->config.architecture, "Gemma4ForCausalLM");
  EXPECT_EQ(model->config.generation.bos_token_id, 2);
  EXPECT_EQ(model->config.generation.eos_token_ids, std::vector<int>{1});
  EXPECT_EQ(model->tensors.size(), 67u);
  EXPECT_TRUE(unused_of(*model).empty());
  EXPECT_TRUE(model->diagnostics.empty());
}

TEST(ModelReader, ShardedEqualsSingleFile) {
  const Model single = load("sample");
  const Model sharded = load("sample-sharded");
  EXPECT_TRUE(single.config == sharded.config);
  ASSERT_EQ(single.tensors.size(), sharded.tensors.size());
  for (const TensorInfo& a : single.tensors.tensors()) {
    const TensorInfo* b = sharded.tensors.find(a.name);
    ASSERT_NE(b, nullptr) << a.name;
    EXPECT_EQ(a.dtype, b->dtype) << a.name;
    EXPECT_EQ(a.shape, b->shape) << a.name;
    EXPECT_EQ(a.role, b->role) << a.name;
    EXPECT_EQ(a.tower, b->tower) << a.name;
    EXPECT_EQ(a.layer, b->layer) << a.name;
    EXPECT_EQ(a.used, b->used) << a.name;
  }
}

TEST(ModelReader, SampleReleaseHasSixUnusedKvTensors) {
  const Model model = load("sample-release");
  const auto unused = unused_of(model);
  ASSERT_EQ(unused.size(), 6u);
  for (const TensorInfo* info : unused) {
    EXPECT_TRUE(info->layer == 2 || info->layer == 3) << info->name;
    EXPECT_TRUE(info->role == Role::kAttnK || info->role == Role::kAttnV || info->role == Role::kAttnKNorm)
        << info->name;
    EXPECT_NE(info->unused_reason.find("kv-shared layer"), std::string::npos);
  }
  EXPECT_FALSE(model.tensors.find("model.layers.2.self_attn.v_proj.weight")->used);
  EXPECT_NE(model.tensors.find("model.layers.2.self_attn.v_proj.weight")->unused_reason.find("reads layer 0's K/V"),
            std::string::npos);
}

TEST(ModelReader, ClipscopeHasFiftySixUnusedVisionBounds) {
  const Model model = load("mm-clipscope");
  const auto unused = unused_of(model);
  ASSERT_EQ(unused.size(), 56u);
  for (const TensorInfo* info : unused) {
    EXPECT_EQ(info->tower, Tower::kVision) << info->name;
    EXPECT_EQ(info->role, Role::kClipBound) << info->name;
    EXPECT_NE(info->unused_reason.find("vision_config.use_clipped_linears is false"), std::string::npos);
  }
  int audio_bounds = 0;
  for (const TensorInfo& info : model.tensors.tensors()) {
    audio_bounds += info.role == Role::kClipBound && info.tower == Tower::kAudio && info.used;
  }
  EXPECT_EQ(audio_bounds, 80);
  EXPECT_TRUE(model.diagnostics.empty());
}

TEST(ModelReader, ClipscopeWithVisionFlagOnUsesTheBounds) {
  json doc = fixture_json("mm-clipscope");
  doc["vision_config"]["use_clipped_linears"] = true;
  ScratchConfig scratch(doc);
  CheckpointLoadOptions options;
  options.config_path = scratch.path();
  auto model = load_checkpoint((kGemma4Dir / "mm-clipscope").string(), options);
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  EXPECT_TRUE(unused_of(*model).empty());
}

TEST(ModelReader, WrongShapeNamesFileTensorAndConfig) {
  json doc = fixture_json("sample");
  doc["intermediate_size"] = 256;
  ScratchConfig scratch(doc);
  CheckpointLoadOptions options;
  options.config_path = scratch.path();
  auto model = load_checkpoint((kGemma4Dir / "sample").string(), options);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().code, ErrorCode::kInvalidFile);
  // The first mismatch in file order (tensors are sorted by data offset).
  EXPECT_EQ(model.error().to_string(),
            (kGemma4Dir / "sample" / "model.safetensors").string() +
                ": tensor 'model.layers.0.mlp.down_proj.weight': shape [64, 192], expected [64, 256] (from "
                "config.json: intermediate_size=256, hidden_size=64)");
}

TEST(ModelReader, TensorsOfATowerTheConfigLacks) {
  json doc = fixture_json("mm");
  doc.erase("audio_config");
  ScratchConfig scratch(doc);
  CheckpointLoadOptions options;
  options.config_path = scratch.path();
  auto model = load_checkpoint((kGemma4Dir / "mm").string(), options);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().code, ErrorCode::kInvalidFile);
  EXPECT_EQ(model.error().tensor.rfind("model.", 0), 0u);
  EXPECT_NE(model.error().to_string().find("not a tensor of Gemma4ForConditionalGeneration"), std::string::npos);
}

TEST(ModelReader, MissingInputs) {
  auto missing_dir = load_checkpoint((kGemma4Dir / "no-such-checkpoint").string());
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_EQ(missing_dir.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing_dir.error().to_string().find("no-such-checkpoint"), std::string::npos);
  CheckpointLoadOptions options;
  options.config_path = (kGemma4Dir / "sample" / "absent.json").string();
  auto missing_config = load_checkpoint((kGemma4Dir / "sample").string(), options);
  ASSERT_FALSE(missing_config.ok());
  EXPECT_EQ(missing_config.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing_config.error().to_string().find("absent.json"), std::string::npos);
}

}  // namespace
}  // namespace hfb
