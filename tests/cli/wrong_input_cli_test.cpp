// Wrong inputs (issue 17, item 2): each is recognised by its first bytes and the one-line error says what it is and
// what to do, instead of "config.json: cannot open" or "zip has no entry 'manifest.pb'".
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/cli/cli_capture.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using testing::CliCapture;
using testing::run_cli_capture;
using testing::ScratchDir;

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";
const std::string kSharded = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample-sharded";

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

/// The first bytes of a GGUF v3 file (magic, version, tensor and metadata counts).
std::string gguf_head() { return std::string("GGUF\x03\0\0\0", 8) + std::string(16, '\0'); }

/// A zip's first local header naming "archive/data.pkl", as torch.save writes pytorch_model.bin since 1.6.
std::string torch_zip_head() {
  const std::string name = "archive/data.pkl";
  std::string h("PK\x03\x04", 4);
  h += std::string(22, '\0');
  h += static_cast<char>(name.size());
  h += std::string(3, '\0');
  return h + name + std::string("\x80\x02}q\0.", 6);
}

constexpr const char* kLfsPointer =
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 285940\n";

void expect_one_line(const CliCapture& r, const std::string& part) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
  EXPECT_EQ(testing::count_lines(r.err), 1u) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(WrongInputCli, AGgufFileWithoutAnArchitectureIsRefusedNamingTheKey) {
  // GGUF files are imported (docs/gguf.md); one that names no architecture is refused in one line.
  ScratchDir scratch;
  write_bytes(scratch / "model.gguf", gguf_head());
  expect_one_line(run_cli_capture("inspect " + (scratch / "model.gguf")), "GGUF has no general.architecture");
  expect_one_line(run_cli_capture("convert " + (scratch / "model.gguf") + " -o " + (scratch / "o.hfb")),
                  "GGUF has no general.architecture");
}

TEST(WrongInputCli, AnMmprojGivenAsTheModelSaysToUseMmproj) {
  const CliCapture r = run_cli_capture("inspect " + std::string(HFB_FIXTURES_DIR) + "/gemma4/gguf/mm-mmproj-f32.gguf");
  expect_one_line(r, "--mmproj");
}

TEST(WrongInputCli, AFolderHoldingOnlyAGgufFileNamesIt) {
  ScratchDir scratch;
  fs::create_directory(scratch / "dl");
  write_bytes(scratch / "dl/gemma-q4_0.gguf", gguf_head());
  const CliCapture r = run_cli_capture("inspect " + (scratch / "dl"));
  expect_one_line(r, "this is a GGUF file");
  EXPECT_NE(r.err.find("gemma-q4_0.gguf"), std::string::npos) << r.err;
}

TEST(WrongInputCli, APickleZipCheckpointIsNotOpenedAsABundle) {
  ScratchDir scratch;
  write_bytes(scratch / "pytorch_model.bin", torch_zip_head());
  const CliCapture r = run_cli_capture("run " + (scratch / "pytorch_model.bin") + " --prompt-ids 2,3");
  expect_one_line(r, "pickle checkpoints are not read");
  EXPECT_EQ(r.err.find("manifest.pb"), std::string::npos) << r.err;
}

TEST(WrongInputCli, AFolderWithConfigAndOnlyPytorchModelBinSaysConvertToSafetensors) {
  ScratchDir scratch;
  fs::create_directory(scratch / "ckpt");
  fs::copy_file(kSample + "/config.json", scratch / "ckpt/config.json");
  write_bytes(scratch / "ckpt/pytorch_model.bin", torch_zip_head());
  const CliCapture r = run_cli_capture("convert " + (scratch / "ckpt") + " -o " + (scratch / "o.hfb"));
  expect_one_line(r, "safe_serialization=True");
  EXPECT_FALSE(fs::exists(scratch / "o.hfb"));
}

TEST(WrongInputCli, AGitLfsPointerInPlaceOfAShardSaysGitLfsPull) {
  ScratchDir scratch;
  fs::copy(kSharded, scratch / "ckpt");
  const std::string shard = scratch / "ckpt/model-00002-of-00002.safetensors";
  fs::permissions(shard, fs::perms::owner_write, fs::perm_options::add);
  write_bytes(shard, kLfsPointer);
  const CliCapture r = run_cli_capture("inspect " + (scratch / "ckpt"));
  expect_one_line(r, "git lfs pull");
  EXPECT_NE(r.err.find("model-00002-of-00002.safetensors"), std::string::npos) << r.err;
}

TEST(WrongInputCli, AnHtmlPageInPlaceOfTheWeightsIsNamed) {
  ScratchDir scratch;
  fs::create_directory(scratch / "ckpt");
  fs::copy_file(kSample + "/config.json", scratch / "ckpt/config.json");
  write_bytes(scratch / "ckpt/model.safetensors", "<!DOCTYPE html>\n<html><body>Access to model is restricted");
  expect_one_line(run_cli_capture("inspect " + (scratch / "ckpt")), "HTML page");
}

}  // namespace
}  // namespace hfb
