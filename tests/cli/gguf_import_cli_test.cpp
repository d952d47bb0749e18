// The CLI on GGUF inputs (llama.cpp's reference files in fixtures/gemma4/gguf): inspect, verify with --mmproj /
// --config, refusals with exit 2 and the reader's message, and convert back to GGUF with the Q4_0 blocks unchanged.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/cli/cli_capture.h"
#include "quant/ggml_blocks.h"
#include "readers/gguf.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using testing::run_cli_capture;
const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";
const std::string kGguf = kFixtures + "gguf/";

fs::path scratch_dir() {
  const fs::path dir = fs::temp_directory_path() / ("hfb_gguf_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(GgufImportCli, InspectPrintsTheConfigAndTensors) {
  auto r = run_cli_capture("inspect " + kGguf + "sample-f32.gguf --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("model.layers.3.mlp.down_proj.weight"), std::string::npos);
  EXPECT_NE(r.out.find("\"num_hidden_layers\":4"), std::string::npos) << r.out.substr(0, 2000);
  EXPECT_NE(r.out.find("no tokenizer"), std::string::npos);  // the synthetic vocabulary cannot be rebuilt: said
  auto text = run_cli_capture("inspect " + kGguf + "mm-f32.gguf --mmproj " + kGguf + "mm-mmproj-f32.gguf");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("attention_chunk_size"), std::string::npos) << text.out;
}

TEST(GgufImportCli, CorruptGgufExitsTwoWithTheReadersMessage) {
  const std::string good = file_bytes(kGguf + "sample-f32.gguf");
  const std::string path = (scratch_dir() / "truncated.gguf").string();
  std::ofstream(path, std::ios::binary) << good.substr(0, 100);
  auto r = run_cli_capture("inspect " + path);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  auto direct = read_gguf(path);
  ASSERT_FALSE(direct.ok());
  EXPECT_NE(r.err.find(direct.error().message), std::string::npos) << r.err << "\nreader: " << direct.error().message;
  std::string v2 = good;
  v2[4] = 2;  // version 2
  const std::string old = (scratch_dir() / "v2.gguf").string();
  std::ofstream(old, std::ios::binary) << v2;
  auto unsupported = run_cli_capture("verify " + old + " --golden " + kFixtures + "sample");
  EXPECT_EQ(unsupported.exit_code, 2) << unsupported.err;
  EXPECT_NE(unsupported.err.find("version"), std::string::npos) << unsupported.err;
}

TEST(GgufImportCli, UnknownTensorNameIsRefusedNamingIt) {
  std::string bytes = file_bytes(kGguf + "sample-f32.gguf");
  const size_t at = bytes.find("blk.2.ffn_up.weight");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 19, "blk.2.ffn_upX.weigh");
  const std::string path = (scratch_dir() / "renamed.gguf").string();
  std::ofstream(path, std::ios::binary) << bytes;
  auto r = run_cli_capture("run " + path + " --prompt-ids 2,10,11");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("blk.2.ffn_upX.weigh"), std::string::npos) << r.err;
}

TEST(GgufImportCli, VerifyMmAudioNeedsConfig) {
  const std::string model = kGguf + "mm-f32.gguf --mmproj " + kGguf + "mm-mmproj-f32.gguf";
  auto refused = run_cli_capture("verify " + model + " --golden " + kFixtures + "mm --cases mm_audio");
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("attention_chunk_size"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--config"), std::string::npos) << refused.err;
  auto passed = run_cli_capture("verify " + model + " --config " + kFixtures + "mm/config.json --golden " + kFixtures +
                                "mm --cases mm_audio,mm_image");
  EXPECT_EQ(passed.exit_code, 0) << passed.out << passed.err;
}

TEST(GgufImportCli, Q4_0ReexportKeepsEveryQ4_0TensorByteIdentical) {
  const std::string in = kGguf + "sample-q4_0-pure.gguf";
  const std::string out = (scratch_dir() / "reexport.gguf").string();
  auto r = run_cli_capture("convert " + in + " --format gguf --quant q4_0 --force -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto source = read_gguf(in);
  auto written = read_gguf(out);
  ASSERT_TRUE(source.ok() && written.ok());
  int q4 = 0;
  for (const GgufTensorInfo& t : source->tensors) {
    if (t.type != gguf::GgmlType::kQ4_0) continue;
    const GgufTensorInfo* w = written->find_tensor(t.name);
    ASSERT_NE(w, nullptr) << t.name;
    EXPECT_EQ(w->type, gguf::GgmlType::kQ4_0) << t.name;
    EXPECT_EQ(w->ne, t.ne) << t.name;
    auto a = source->tensor_data(t);
    auto b = written->tensor_data(*w);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size, b->size) << t.name;
    EXPECT_EQ(std::memcmp(a->data, b->data, a->size), 0) << t.name;
    ++q4;
  }
  EXPECT_GE(q4, 30);  // 28 linears + the two token tables
  // The vocabulary travels as it is.
  const gguf::Value* tokens = written->find("tokenizer.ggml.tokens");
  ASSERT_NE(tokens, nullptr);
  EXPECT_EQ(tokens->count(), source->find("tokenizer.ggml.tokens")->count());
}

TEST(GgufImportCli, ConvertToABundleKeepsTheBlocksAndVerifies) {
  const std::string out = (scratch_dir() / "from-gguf.hfb").string();
  auto r = run_cli_capture("convert " + kGguf + "sample-f32.gguf --force -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto verified = run_cli_capture("verify " + out + " --golden " + kFixtures + "sample");
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  const std::string q4 = (scratch_dir() / "from-q4.hfb").string();
  auto kept = run_cli_capture("convert " + kGguf + "sample-q4_0-pure.gguf --force -o " + q4 + " --json");
  ASSERT_EQ(kept.exit_code, 0) << kept.out << kept.err;
  EXPECT_NE(kept.out.find("blocks kept as they are"), std::string::npos) << kept.out.substr(0, 3000);
  auto run = run_cli_capture("run " + q4 + " --prompt-ids 2,10,11 --max-new-tokens 4");
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST(GgufImportCli, Q4_0BlocksAskedForAnotherTypeAreDecodedAsGgmlDoes) {
  // GGUF -> GGUF f32: every Q4_0 tensor of the input comes out as ggml's dequantization of its blocks, exactly.
  const std::string in = kGguf + "sample-q4_0-pure.gguf";
  const std::string out = (scratch_dir() / "from-q4-f32.gguf").string();
  auto r = run_cli_capture("convert " + in + " --format gguf --quant f32 --force -o " + out + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("decoded from the source's Q4_0 blocks"), std::string::npos) << r.out.substr(0, 3000);
  auto src = read_gguf(in);
  auto dst = read_gguf(out);
  ASSERT_TRUE(src.ok() && dst.ok());
  int compared = 0;
  for (const GgufTensorInfo& t : src->tensors) {
    if (t.type != gguf::GgmlType::kQ4_0) continue;
    const GgufTensorInfo* o = dst->find_tensor(t.name);
    ASSERT_NE(o, nullptr) << t.name;
    ASSERT_EQ(o->type, gguf::GgmlType::kF32) << t.name;
    const int64_t count = static_cast<int64_t>(o->nbytes / 4);
    auto blocks = src->source->read(t.offset, t.nbytes);
    auto floats = dst->source->read(o->offset, o->nbytes);
    ASSERT_TRUE(blocks.ok() && floats.ok());
    std::vector<BlockQ4_0> b(static_cast<size_t>(count / 32));
    std::memcpy(b.data(), blocks->data, b.size() * sizeof(BlockQ4_0));
    std::vector<float> expected(static_cast<size_t>(count));
    dequantize_row_q4_0(b.data(), expected.data(), count);
    EXPECT_EQ(std::memcmp(expected.data(), floats->data, o->nbytes), 0) << t.name;
    ++compared;
  }
  EXPECT_GT(compared, 0);
}

}  // namespace
}  // namespace hfb
