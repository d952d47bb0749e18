// Bundles carry the tokenizer (format 1.3): `run BUNDLE --prompt` works with the checkpoint deleted, for a
// directory bundle and a zstd zip bundle, and prints what the checkpoint prints; the manifest lists the files.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "readers/bundle/bundle_reader.h"
#include "tests/cli/run_cli_helper.h"
#include "tests/writers/bundle_test_util.h"
#include "formats/bundle.pb.h"

namespace hfb {
namespace {

using testing::run_cli;
using testing::ScratchDir;

const std::string kTrained = std::string(HFB_FIXTURES_DIR) + "/gemma4/text-trained";
const std::string kPrompt = " --prompt \"And the LORD said unto Moses,\" -n 20";

TEST(BundleTokenizerCli, RunPromptOnBundlesWithTheCheckpointDeleted) {
  ScratchDir scratch;
  const std::string source = scratch / "ckpt";
  std::filesystem::copy(kTrained, source);
  const std::string dir_bundle = scratch / "t.hfb";
  const std::string zip_bundle = scratch / "t.zip";
  ASSERT_EQ(run_cli("convert " + source + " -o " + dir_bundle + " > /dev/null").exit_code, 0);
  ASSERT_EQ(run_cli("convert " + source + " -o " + zip_bundle + " --zip --zstd 3 > /dev/null").exit_code, 0);
  auto reference = run_cli("run " + source + kPrompt);
  ASSERT_EQ(reference.exit_code, 0);
  EXPECT_GT(reference.out.size(), 5u);
  std::filesystem::remove_all(source);
  for (const std::string& bundle : {dir_bundle, zip_bundle}) {
    auto ours = run_cli("run " + bundle + kPrompt);
    EXPECT_EQ(ours.exit_code, 0) << bundle;
    EXPECT_EQ(ours.out, reference.out) << bundle;
    auto inspect = run_cli("inspect " + bundle);
    EXPECT_NE(inspect.out.find("tokenizer: BPE (byte fallback), vocab 320"), std::string::npos) << inspect.out;
  }
}

TEST(BundleTokenizerCli, ManifestListsTokenizerFilesWithSizesAndChecksums) {
  ScratchDir scratch;
  const std::string bundle = scratch / "s.hfb";
  ASSERT_EQ(run_cli("convert " + std::string(HFB_FIXTURES_DIR) + "/gemma4/sample -o " + bundle +
                    " --zstd 3 > /dev/null").exit_code, 0);
  BundleReadOptions read;
  read.check = BundleCheck::kChecksums;
  auto opened = Bundle::open(bundle, read);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  EXPECT_GE((*opened)->format_minor(), 3u);  // 1.3 added FILE_TOKENIZER
  int tokenizer_files = 0;
  for (const auto& file : (*opened)->manifest().files()) {
    if (file.kind() != bundle::FILE_TOKENIZER) continue;
    ++tokenizer_files;
    EXPECT_EQ(file.raw_size(), std::filesystem::file_size(std::string(HFB_FIXTURES_DIR) + "/gemma4/sample/" + file.name()));
    EXPECT_NE(file.stored_xxh3(), 0u);
    EXPECT_EQ(file.compression(), bundle::COMPRESSION_NONE) << file.name();  // readable by a device as is
  }
  EXPECT_EQ(tokenizer_files, 2);  // tokenizer.json, tokenizer_config.json
  auto chat = run_cli("run " + bundle + " --chat hello -n 3");
  EXPECT_EQ(chat.exit_code, 0);
}

}  // namespace
}  // namespace hfb
