// The model-family registry: gemma4 / gemma4_text resolve to the Gemma 4 family, an unknown model_type is refused
// by name (from a config file and from a resolved config), and load_checkpoint dispatches through it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "models/load_checkpoint.h"
#include "models/model_family.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kGemma4Dir = fs::path(HFB_FIXTURES_DIR) / "gemma4";

/// A copy of a fixture checkpoint directory whose config.json the test rewrites; removed at the end.
class ScratchCheckpoint {
 public:
  explicit ScratchCheckpoint(const std::string& fixture) {
    dir_ = fs::temp_directory_path() / ("hfb_model_family_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::copy(kGemma4Dir / fixture, dir_, fs::copy_options::recursive);
  }
  ~ScratchCheckpoint() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  json config() const {
    std::ifstream in(dir_ / "config.json");
    return json::parse(in);
  }
  void write_config(const json& doc) const { std::ofstream(dir_ / "config.json") << doc.dump(2); }
  std::string dir() const { return dir_.string(); }
  std::string config_path() const { return (dir_ / "config.json").string(); }

 private:
  fs::path dir_;
};

TEST(ModelFamily, ResolvesGemma4ModelTypes) {
  for (const char* model_type : {"gemma4", "gemma4_text"}) {
    const ModelFamily* family = find_model_family(model_type);
    ASSERT_NE(family, nullptr) << model_type;
    EXPECT_STREQ(family->name, "gemma4");
    EXPECT_TRUE(family->accepts(model_type));
    ModelConfig config;
    config.model_type = model_type;
    auto by_config = model_family_for(config);
    ASSERT_TRUE(by_config.ok()) << by_config.error().to_string();
    EXPECT_EQ(*by_config, family);
  }
}

TEST(ModelFamily, RefusesAnUnknownFamilyByName) {
  EXPECT_EQ(find_model_family("llama"), nullptr);
  EXPECT_EQ(find_model_family("gemma3"), nullptr);
  EXPECT_EQ(find_model_family(""), nullptr);
  ModelConfig config;
  config.model_type = "llama";
  auto family = model_family_for(config);
  ASSERT_FALSE(family.ok());
  EXPECT_EQ(family.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(family.error().message.find("'llama' is not supported"), std::string::npos) << family.error().message;
  EXPECT_NE(family.error().message.find("'gemma4_text'"), std::string::npos) << family.error().message;
  // The graph builders refuse the same way instead of running another family's builder.
  auto graph = build_text_graph(config, TensorTable{});
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code, ErrorCode::kUnsupported);
}

TEST(ModelFamily, EveryFamilyHasEveryEntryPoint) {
  ASSERT_FALSE(registered_model_families().empty());
  for (const ModelFamily* family : registered_model_families()) {
    EXPECT_FALSE(family->model_types.empty()) << family->name;
    EXPECT_NE(family->parse_config, nullptr) << family->name;
    EXPECT_NE(family->read_generation_config, nullptr) << family->name;
    EXPECT_NE(family->assign_roles, nullptr) << family->name;
    EXPECT_NE(family->build_text_graph, nullptr) << family->name;
    EXPECT_NE(family->build_graph, nullptr) << family->name;
    EXPECT_NE(family->build_model_graph, nullptr) << family->name;
    for (const std::string& model_type : family->model_types) EXPECT_EQ(find_model_family(model_type), family);
  }
}

TEST(ModelFamily, GgufExportTablesComeFromTheConfigsFamily) {
  // Every entry of a family's export tables is set (pipeline/gguf_export calls them without checking).
  for (const ModelFamily* family : registered_model_families()) {
    if (family->gguf_export == nullptr) continue;
    EXPECT_NE(family->gguf_export->gguf_name_for, nullptr) << family->name;
    EXPECT_NE(family->gguf_export->text_metadata, nullptr) << family->name;
    EXPECT_NE(family->gguf_export->rope_freqs, nullptr) << family->name;
    EXPECT_NE(family->gguf_export->mmproj_metadata, nullptr) << family->name;
    EXPECT_NE(family->gguf_export->llamacpp_problem, nullptr) << family->name;
  }
  ModelConfig config;
  config.model_type = "gemma4_text";
  auto tables = gguf_export_tables_for(config);
  ASSERT_TRUE(tables.ok()) << tables.error().to_string();
  EXPECT_EQ(*tables, find_model_family("gemma4")->gguf_export);
  const auto name = (*tables)->gguf_name_for(config, "model.layers.3.self_attn.q_proj.weight");
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->name, "blk.3.attn_q.weight");
  EXPECT_EQ(name->file, GgufFileKind::kText);
  config.model_type = "llama";
  auto unknown = gguf_export_tables_for(config);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kUnsupported);
}

TEST(ModelFamily, LoadCheckpointRefusesAnUnknownModelTypeNamingFileAndKey) {
  ScratchCheckpoint checkpoint("sample");
  json doc = checkpoint.config();
  doc["model_type"] = "llama";
  checkpoint.write_config(doc);
  auto model = load_checkpoint(checkpoint.dir());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().code, ErrorCode::kUnsupported);
  const std::string text = model.error().to_string();
  EXPECT_NE(text.find("config.json"), std::string::npos) << text;
  EXPECT_NE(text.find("key 'model_type': 'llama' is not supported"), std::string::npos) << text;
}

TEST(ModelFamily, ReadModelConfigNeedsAStringModelType) {
  ScratchCheckpoint checkpoint("sample");
  json doc = checkpoint.config();
  doc.erase("model_type");
  checkpoint.write_config(doc);
  auto missing = read_model_config(checkpoint.config_path());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidFile);
  EXPECT_NE(missing.error().message.find("key 'model_type': missing"), std::string::npos);
  doc["model_type"] = 4;
  checkpoint.write_config(doc);
  auto wrong = read_model_config(checkpoint.config_path());
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidFile);
  EXPECT_NE(wrong.error().message.find("expected a string"), std::string::npos);
}

TEST(ModelFamily, ReadModelConfigDispatchesToGemma4) {
  for (const char* fixture : {"sample", "mm"}) {
    auto config = read_model_config((kGemma4Dir / fixture / "config.json").string());
    ASSERT_TRUE(config.ok()) << fixture << ": " << config.error().to_string();
    EXPECT_STREQ((*model_family_for(*config))->name, "gemma4");
  }
  auto text = read_model_config((kGemma4Dir / "sample" / "config.json").string());
  auto mm = read_model_config((kGemma4Dir / "mm" / "config.json").string());
  ASSERT_TRUE(text.ok() && mm.ok());
  EXPECT_EQ(text->model_type, "gemma4_text");
  EXPECT_EQ(mm->model_type, "gemma4");
}

}  // namespace
}  // namespace hfb
