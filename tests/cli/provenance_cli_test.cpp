// Provenance (issue 17, item 8): the bundle carries the model card, licence / terms files and generation_config.json,
// and its manifest records the hfbundle version, the exact command line and every input file with size and hash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/cli/cli_capture.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using testing::run_cli_capture;
using testing::ScratchDir;

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

TEST(ProvenanceCli, ModelCardLicenceAndInputsAreRecorded) {
  ScratchDir scratch;
  const fs::path ckpt = scratch / "my-gemma";
  fs::create_directory(ckpt);
  for (const char* name : {"config.json", "generation_config.json", "model.safetensors"}) {
    fs::copy_file(fs::path(kSample) / name, ckpt / name);
  }
  std::ofstream(ckpt / "README.md") << "---\nlicense: gemma\n---\n# my gemma\n";
  std::ofstream(ckpt / "LICENSE") << "Gemma Terms of Use\n";
  std::ofstream(ckpt / "GEMMA_TERMS_OF_USE.md") << "terms\n";
  std::ofstream(ckpt / "notes.txt") << "not carried\n";
  const std::string out = scratch / "out.hfb";
  auto convert = run_cli_capture("convert " + ckpt.string() + " -o " + out + " --quant q8_0 --chunks 2");
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  for (const char* name : {"README.md", "LICENSE", "GEMMA_TERMS_OF_USE.md", "generation_config.json"}) {
    EXPECT_TRUE(fs::exists(fs::path(out) / name)) << name;
  }
  EXPECT_EQ(testing::slurp(out + "/LICENSE"), "Gemma Terms of Use\n");
  EXPECT_FALSE(fs::exists(fs::path(out) / "notes.txt"));
  EXPECT_EQ(run_cli_capture("inspect " + out + " --check").exit_code, 0);

  auto inspect = run_cli_capture("inspect " + out + " --json");
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const std::string& j = inspect.out;
  EXPECT_NE(j.find("\"hfbundle_version\":\"0.1.0\""), std::string::npos) << j.substr(0, 1500);
  EXPECT_NE(j.find("\"command_line\":\"" + std::string(HFB_CLI_PATH) + " convert " + ckpt.string() + " -o " + out +
                   " --quant q8_0 --chunks 2\""),
            std::string::npos)
      << j.substr(0, 1500);
  const size_t shard = j.find("\"name\":\"model.safetensors\"");
  ASSERT_NE(shard, std::string::npos) << j.substr(0, 2500);
  EXPECT_EQ(j.find("\"size\":" + std::to_string(fs::file_size(ckpt / "model.safetensors")), shard),
            j.find("\"size\"", shard));
  EXPECT_NE(j.find("\"hash\":\"xxh3-64:"), std::string::npos);
  EXPECT_NE(j.find("\"name\":\"config.json\""), std::string::npos);
  EXPECT_NE(j.find("\"checkpoint_name\":\"my-gemma\""), std::string::npos);
}

}  // namespace
}  // namespace hfb
