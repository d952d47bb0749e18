// Hugging Face hub-cache layouts (issue 17, item 1): a sharded snapshot whose files are symlinks into
// ../../blobs/, given as the repo folder `models--org--name` (refs/main or the only snapshot) or as the snapshot.
#include <gtest/gtest.h>

#include <cstdio>
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

const std::string kSharded = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample-sharded";
constexpr const char* kRevision = "0123456789abcdef0123456789abcdef01234567";

/// Builds `<root>/models--google--gemma-4-tiny` as huggingface_hub does: each file of the fixture becomes a blob
/// (named by a made-up hash) and a relative symlink in snapshots/<rev>/. Returns the repo folder.
std::string make_hub_cache(const std::string& root, bool with_ref, int extra_snapshots = 0) {
  const fs::path repo = fs::path(root) / "models--google--gemma-4-tiny";
  fs::create_directories(repo / "blobs");
  fs::create_directories(repo / "snapshots" / kRevision);
  int blob = 0;
  for (const auto& entry : fs::directory_iterator(kSharded)) {
    char hash[65];  // hub blobs are named by the sha256 of their bytes (made up here)
    std::snprintf(hash, sizeof(hash), "%064x", 0xb10b00 + blob++);
    fs::copy_file(entry.path(), repo / "blobs" / hash);
    fs::create_symlink(fs::path("../../blobs") / hash, repo / "snapshots" / kRevision / entry.path().filename());
  }
  for (int i = 0; i < extra_snapshots; ++i) fs::create_directories(repo / "snapshots" / ("fedcba" + std::to_string(i)));
  if (with_ref) {
    fs::create_directories(repo / "refs");
    std::ofstream(repo / "refs" / "main") << kRevision;
  }
  return repo.string();
}

TEST(HubCacheCli, ConvertsTheRepoFolderThroughRefsMainAndRecordsRepoAndRevision) {
  ScratchDir scratch;
  const std::string repo = make_hub_cache(scratch.path(), /*with_ref=*/true, /*extra_snapshots=*/1);
  const std::string out = scratch / "tiny.hfb";
  auto convert = run_cli_capture("convert " + repo + " -o " + out + " --quant q8_0");
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  auto inspect = run_cli_capture("inspect " + out + " --json");
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find(std::string("\"google/gemma-4-tiny@") + kRevision + "\""), std::string::npos)
      << inspect.out.substr(0, 400);
  EXPECT_NE(inspect.out.find("\"repo_id\":\"google/gemma-4-tiny\""), std::string::npos) << inspect.out.substr(0, 900);
  EXPECT_NE(inspect.out.find(std::string("\"revision\":\"") + kRevision + "\""), std::string::npos);
  // The shards' hashes are the hub's own: the sha256 its blob names carry.
  EXPECT_NE(inspect.out.find("\"hash\":\"sha256:0000000000"), std::string::npos) << inspect.out.substr(0, 1500);
}

TEST(HubCacheCli, TheOnlySnapshotIsUsedAndNamedWithoutRefs) {
  ScratchDir scratch;
  const std::string repo = make_hub_cache(scratch.path(), /*with_ref=*/false);
  auto inspect = run_cli_capture("inspect " + repo);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const std::string all = inspect.out + inspect.err;
  EXPECT_NE(all.find(std::string("google/gemma-4-tiny@") + kRevision), std::string::npos) << all;
  EXPECT_NE(all.find("the only snapshot"), std::string::npos) << all;
}

TEST(HubCacheCli, TheSnapshotFolderWithSymlinkedShardsIsAccepted) {
  ScratchDir scratch;
  const std::string repo = make_hub_cache(scratch.path(), /*with_ref=*/true);
  const std::string snapshot = repo + "/snapshots/" + kRevision;
  auto run = run_cli_capture("run " + snapshot + " --prompt-ids 2,17,5 -n 4");
  auto reference = run_cli_capture("run " + kSharded + " --prompt-ids 2,17,5 -n 4");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_FALSE(run.out.empty());
  EXPECT_EQ(run.out, reference.out);
}

TEST(HubCacheCli, SeveralSnapshotsWithoutRefsAskForOneAndNameThem) {
  ScratchDir scratch;
  const std::string repo = make_hub_cache(scratch.path(), /*with_ref=*/false, /*extra_snapshots=*/1);
  auto inspect = run_cli_capture("inspect " + repo);
  EXPECT_EQ(inspect.exit_code, 2);
  EXPECT_NE(inspect.err.find("2 snapshots"), std::string::npos) << inspect.err;
  EXPECT_NE(inspect.err.find(kRevision), std::string::npos) << inspect.err;
  EXPECT_EQ(testing::count_lines(inspect.err), 1u) << inspect.err;
}

TEST(HubCacheCli, ARefToAMissingSnapshotIsNamed) {
  ScratchDir scratch;
  const std::string repo = make_hub_cache(scratch.path(), /*with_ref=*/true);
  fs::remove_all(fs::path(repo) / "snapshots" / kRevision);
  auto inspect = run_cli_capture("inspect " + repo);
  EXPECT_EQ(inspect.exit_code, 2);
  EXPECT_NE(inspect.err.find("refs/main"), std::string::npos) << inspect.err;
}

}  // namespace
}  // namespace hfb
