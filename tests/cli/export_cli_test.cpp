// `hfbundle export BUNDLE -o x.gguf` (issue 19): a bundle of `sample` whose tensors are q8_0 where GGUF's policy
// quantizes (token tables included) and float where it does not exports to the same GGUF as `convert --format gguf`
// of the checkpoint with the same policy: every tensor (name, type, dims, bytes) and every non-general key, the
// context length the bundle recorded and the tokenizer (from a zip bundle too). A default q4_0 bundle is refused
// naming its int8 token tables; a bundle without max_position_embeddings (older than format 1.5) gets 131072 and a
// warning.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "formats/bundle.pb.h"
#include "readers/gguf.h"
#include "tests/cli/cli_capture.h"

namespace hfb {
namespace {

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";
// The bundle side of GGUF's --quant q8_0 policy: token tables q8_0 (not the bundle default int8 per row), and kept
// float what the GGUF policy keeps float or converts (the PLE model projection, 16-wide PLE matrices).
const std::string kBundlePolicy =
    " --quant q8_0 --role-type token_embedding=q8_0 --role-type ple_table=q8_0 --role-type ple_projection=none"
    " --role-type ple_layer_projection=none";

class ExportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hfb_export_cli_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // A copy whose context length is not HF's default, so the test sees where it comes from.
    std::filesystem::copy(kSample, dir_ + "/ck", std::filesystem::copy_options::recursive);
    std::string config = testing::slurp(dir_ + "/ck/config.json");
    const std::string from = "\"max_position_embeddings\": 131072";
    ASSERT_NE(config.find(from), std::string::npos);
    config.replace(config.find(from), from.size(), "\"max_position_embeddings\": 32768");
    std::ofstream(dir_ + "/ck/config.json", std::ios::binary | std::ios::trunc) << config;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  testing::CliCapture ok(const std::string& args) {
    testing::CliCapture r = testing::run_cli_capture(args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    return r;
  }

  std::string dir_;
};

bool same_value(const gguf::Value& a, const gguf::Value& b) {
  return a.type == b.type && a.element_type == b.element_type && a.bytes == b.bytes && a.strings == b.strings;
}

/// Every tensor of `expected` is in `got` with the same type, dims and bytes (and no extra ones); every key outside
/// general.* has the same type and value.
void expect_same_gguf(const std::string& expected_path, const std::string& got_path) {
  auto expected = read_gguf(expected_path);
  auto got = read_gguf(got_path);
  ASSERT_TRUE(expected.ok()) << expected.error().to_string();
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  ASSERT_EQ(got->tensors.size(), expected->tensors.size());
  for (const GgufTensorInfo& e : expected->tensors) {
    const GgufTensorInfo* g = got->find_tensor(e.name);
    ASSERT_NE(g, nullptr) << e.name;
    EXPECT_EQ(g->type, e.type) << e.name;
    EXPECT_EQ(g->ne, e.ne) << e.name;
    auto eb = expected->tensor_data(e);
    auto gb = got->tensor_data(*g);
    ASSERT_TRUE(eb.ok() && gb.ok());
    ASSERT_EQ(gb->size, eb->size) << e.name;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(gb->data), gb->size),
              std::string(reinterpret_cast<const char*>(eb->data), eb->size)) << e.name;
  }
  size_t compared = 0;
  for (const auto& [key, value] : expected->metadata) {
    if (key.rfind("general.", 0) == 0) continue;
    const gguf::Value* g = got->find(key);
    ASSERT_NE(g, nullptr) << key;
    EXPECT_TRUE(same_value(*g, value)) << key << ": " << g->type_name() << " vs " << value.type_name();
    ++compared;
  }
  EXPECT_GT(compared, 20u);
  ASSERT_NE(got->find("tokenizer.ggml.tokens"), nullptr);
}

TEST_F(ExportCli, Q8_0BundleExportsTheSameGgufAsConvertFromTheCheckpoint) {
  ok("convert " + dir_ + "/ck --format gguf -o " + dir_ + "/direct.gguf --quant q8_0 --quiet");
  ok("convert " + dir_ + "/ck -o " + dir_ + "/q8.hfb" + kBundlePolicy + " --quiet");
  const auto exported = ok("export " + dir_ + "/q8.hfb -o " + dir_ + "/exported.gguf --quant q8_0 --quiet");
  expect_same_gguf(dir_ + "/direct.gguf", dir_ + "/exported.gguf");
  auto gguf = read_gguf(dir_ + "/exported.gguf");
  ASSERT_TRUE(gguf.ok());
  EXPECT_EQ(gguf->find("gemma4.context_length")->int_at(), 32768) << "the bundle records max_position_embeddings";
  // A zip bundle: its tokenizer is read from the zip (no synthesised vocabulary), the rest the same.
  ok("convert " + dir_ + "/ck -o " + dir_ + "/q8.hfb.zip --zip" + kBundlePolicy + " --quiet");
  const auto zipped = ok("export " + dir_ + "/q8.hfb.zip -o " + dir_ + "/zip.gguf --quant q8_0 --json");
  EXPECT_NE(zipped.out.find("\"tokenizer_synthesised\": false"), std::string::npos) << zipped.out;
  EXPECT_EQ(zipped.err.find("synthesised"), std::string::npos) << zipped.err;
  expect_same_gguf(dir_ + "/direct.gguf", dir_ + "/zip.gguf");
}

TEST_F(ExportCli, DefaultQ4_0BundleIsRefusedNamingItsInt8TokenTables) {
  ok("convert " + dir_ + "/ck -o " + dir_ + "/q4.hfb --quant q4_0 --quiet");
  const auto refused = testing::run_cli_capture("export " + dir_ + "/q4.hfb -o " + dir_ + "/x.gguf --quant q4_0");
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("model.embed_tokens.weight"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("model.embed_tokens_per_layer.weight"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("int8"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/x.gguf"));
}

TEST_F(ExportCli, BundleWithoutContextLengthGetsTheDefaultAndAWarning) {
  ok("convert " + dir_ + "/ck -o " + dir_ + "/old.hfb" + kBundlePolicy + " --quiet");
  const std::string manifest = dir_ + "/old.hfb/manifest.pb";
  bundle::Manifest m;
  ASSERT_TRUE(m.ParseFromString(testing::slurp(manifest)));
  ASSERT_EQ(m.config().text().max_position_embeddings(), 32768);
  m.mutable_config()->mutable_text()->clear_max_position_embeddings();  // as a writer before format 1.5
  std::ofstream(manifest, std::ios::binary | std::ios::trunc) << m.SerializeAsString();
  const auto exported = ok("export " + dir_ + "/old.hfb -o " + dir_ + "/old.gguf --quant q8_0");
  EXPECT_NE(exported.err.find("does not record max_position_embeddings"), std::string::npos) << exported.err;
  auto gguf = read_gguf(dir_ + "/old.gguf");
  ASSERT_TRUE(gguf.ok());
  EXPECT_EQ(gguf->find("gemma4.context_length")->int_at(), 131072);
}

}  // namespace
}  // namespace hfb
