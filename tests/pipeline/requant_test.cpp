// requant: one chunk re-encoded from the checkpoint, only its data files rewritten (every other file the same
// inode, mtime and bytes), the recipe and coverage updated, the result equal to `convert --recipe` of the
// updated recipe, -o bundles, zstd, refusals (zip, unknown chunk, another checkpoint), and a failure before the
// rename leaving the old bundle valid and unchanged.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "formats/bundle.pb.h"
#include "pipeline/convert.h"
#include "pipeline/recipe.h"
#include "pipeline/requant.h"
#include "readers/bundle/bundle_reader.h"
#include "tests/writers/bundle_test_util.h"
#include "writers/bundle_sink.h"

namespace hfb {
namespace {

using testing::ScratchDir;

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

ConvertOptions q4_two_chunks(const std::string& out) {
  ConvertOptions o;
  o.source = kFixtures + "sample";
  o.out = out;
  o.quant.global = Scheme::kQ4_0;
  o.passes.chunks = "2";
  o.command_line = "hfbundle convert sample -o a.hfb --quant q4_0 --chunks 2";
  return o;
}

RequantOptions requant_decoder1(const std::string& bundle) {
  RequantOptions r;
  r.bundle = bundle;
  r.chunk = "decoder.1";
  r.scheme = Scheme::kInt8;
  r.source = kFixtures + "sample";
  return r;
}

struct FileState {
  ino_t inode = 0;
  int64_t mtime_ns = 0;
  std::string bytes;
  bool operator==(const FileState& o) const {
    return inode == o.inode && mtime_ns == o.mtime_ns && bytes == o.bytes;
  }
};

std::map<std::string, FileState> snapshot(const std::string& dir) {
  std::map<std::string, FileState> out;
  for (const std::string& name : testing::list_dir(dir)) {
    struct stat st {};
    ::stat((dir + "/" + name).c_str(), &st);
    out[name] = FileState{st.st_ino, static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                          testing::read_all(dir + "/" + name)};
  }
  return out;
}

std::map<std::string, uint64_t> file_checksums(const bundle::Manifest& m) {
  std::map<std::string, uint64_t> out;
  for (const bundle::File& f : m.files()) out[f.name()] = f.stored_xxh3();
  return out;
}

std::string file_of_chunk(const Bundle& b, const std::string& chunk) {
  for (const BundleChunkInfo& c : b.chunks()) {
    if (c.name == chunk) return c.file;
  }
  return "";
}

bool has_temp_dir(const std::string& parent) {
  for (const std::string& n : testing::list_dir(parent)) {
    if (n.find(".tmp-") != std::string::npos) return true;
  }
  return false;
}

TEST(Requant, InPlaceRewritesOnlyTheChunksFileAndUpdatesRecipeAndCoverage) {
  ScratchDir dir;
  ASSERT_TRUE(convert_checkpoint(q4_two_chunks(dir / "a.hfb")).ok());
  auto before_bundle = Bundle::open(dir / "a.hfb");
  ASSERT_TRUE(before_bundle.ok());
  const std::string chunk_file = file_of_chunk(**before_bundle, "decoder.1");
  ASSERT_FALSE(chunk_file.empty());
  const auto before_sums = file_checksums((*before_bundle)->manifest());
  before_bundle->reset();
  const auto before = snapshot(dir / "a.hfb");
  auto result = requant_bundle(requant_decoder1(dir / "a.hfb"));
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_TRUE(result->in_place);
  EXPECT_EQ(result->rewritten_files, std::vector<std::string>{chunk_file});
  const auto after = snapshot(dir / "a.hfb");
  ASSERT_EQ(before.size(), after.size());
  for (const auto& [name, state] : before) {
    if (name == chunk_file || name == "manifest.pb") {
      EXPECT_NE(after.at(name).bytes, state.bytes) << name;
    } else {
      EXPECT_TRUE(after.at(name) == state) << name << ": not the same inode, mtime and bytes";
    }
  }
  BundleReadOptions checked;
  checked.check = BundleCheck::kChecksums;
  auto reopened = Bundle::open(dir / "a.hfb", checked);
  ASSERT_TRUE(reopened.ok()) << reopened.error().to_string();
  for (const auto& [name, sum] : file_checksums((*reopened)->manifest())) {
    if (name != chunk_file) {
      EXPECT_EQ(sum, before_sums.at(name)) << name;
    }
  }
  auto recipe = parse_recipe_json((*reopened)->manifest().recipe_json(), "manifest");
  ASSERT_TRUE(recipe.ok());
  ASSERT_EQ(recipe->quant.chunk_types.size(), 1u);
  EXPECT_EQ(recipe->quant.chunk_types[0], std::make_pair(std::string("decoder.1"), Scheme::kInt8));
  size_t int8 = 0;
  for (const bundle::CoverageRecord& c : (*reopened)->manifest().coverage()) {
    const BundleTensor* t = (*reopened)->find(c.tensor());
    if (t == nullptr || t->chunk != "decoder.1" || c.scheme() == "none") continue;
    EXPECT_EQ(c.scheme(), "int8") << c.tensor();
    EXPECT_EQ(c.rule(), "chunk-type") << c.tensor();
    EXPECT_EQ(t->scheme, "int8") << c.tensor();
    ++int8;
  }
  EXPECT_GT(int8, 0u);
  EXPECT_EQ(int8, result->coverage.total.quantized);
  // The summary counts only the re-encoded tensors; the chunk's float tensors (norms) are named apart.
  const size_t kept = result->coverage.entries.size() - int8;
  EXPECT_GT(kept, 0u) << "the chunk holds float tensors";
  const std::string summary = result->to_string();
  EXPECT_NE(summary.find("requant: " + std::to_string(int8) + " tensors re-encoded, " + std::to_string(kept) +
                         " kept float"), std::string::npos) << summary;
  EXPECT_FALSE(has_temp_dir(dir.path()));
}

TEST(Requant, ResultEqualsConvertWithTheUpdatedRecipe) {
  ScratchDir dir;
  ASSERT_TRUE(convert_checkpoint(q4_two_chunks(dir / "a.hfb")).ok());
  auto result = requant_bundle(requant_decoder1(dir / "a.hfb"));
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  auto recipe = parse_recipe_json(result->recipe_json, "updated");
  ASSERT_TRUE(recipe.ok());
  ConvertOptions o = q4_two_chunks(dir / "b.hfb");
  apply_recipe(*recipe, &o);
  ASSERT_TRUE(convert_checkpoint(o).ok());
  const std::vector<std::string> files = testing::list_dir(dir / "a.hfb");
  ASSERT_EQ(files, testing::list_dir(dir / "b.hfb"));
  for (const std::string& f : files) {
    if (f != "manifest.pb") {
      EXPECT_EQ(testing::read_all(dir / ("a.hfb/" + f)), testing::read_all(dir / ("b.hfb/" + f))) << f;
    }
  }
  bundle::Manifest ma, mb;
  ASSERT_TRUE(ma.ParseFromString(testing::read_all(dir / "a.hfb/manifest.pb")));
  ASSERT_TRUE(mb.ParseFromString(testing::read_all(dir / "b.hfb/manifest.pb")));
  ma.clear_source();  // requant keeps the original convert's provenance
  mb.clear_source();
  EXPECT_EQ(ma.SerializeAsString(), mb.SerializeAsString());
}

TEST(Requant, OutputBundleLeavesTheOriginalAndLinksUnchangedFiles) {
  ScratchDir dir;
  ASSERT_TRUE(convert_checkpoint(q4_two_chunks(dir / "a.hfb")).ok());
  const auto before = snapshot(dir / "a.hfb");
  RequantOptions r = requant_decoder1(dir / "a.hfb");
  r.out = dir / "b.hfb";
  auto result = requant_bundle(r);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_FALSE(result->in_place);
  EXPECT_TRUE(snapshot(dir / "a.hfb") == before);
  const auto out = snapshot(dir / "b.hfb");
  for (const std::string& kept : result->kept_files) EXPECT_EQ(out.at(kept).inode, before.at(kept).inode) << kept;
  BundleReadOptions checked;
  checked.check = BundleCheck::kChecksums;
  EXPECT_TRUE(Bundle::open(dir / "b.hfb", checked).ok());
  EXPECT_EQ(requant_bundle(r).error().code, ErrorCode::kInvalidArgument);  // b.hfb exists, no force
  r.force = true;
  EXPECT_TRUE(requant_bundle(r).ok());
}

TEST(Requant, ZstdBundleIsRewrittenAtItsLevel) {
  ScratchDir dir;
  ConvertOptions o = q4_two_chunks(dir / "z.hfb");
  o.zstd_level = 3;
  ASSERT_TRUE(convert_checkpoint(o).ok());
  auto result = requant_bundle(requant_decoder1(dir / "z.hfb"));
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  ASSERT_EQ(result->rewritten_files.size(), 1u);
  EXPECT_NE(result->rewritten_files[0].find(".zst"), std::string::npos);
  BundleReadOptions checked;
  checked.check = BundleCheck::kChecksums;
  auto b = Bundle::open(dir / "z.hfb", checked);
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  for (const bundle::File& f : (*b)->manifest().files()) {
    if (f.name() == result->rewritten_files[0]) {
      EXPECT_EQ(f.zstd_level(), 3);
    }
  }
}

TEST(Requant, RefusesZipUnknownChunkAndAnotherCheckpoint) {
  ScratchDir dir;
  ConvertOptions zip = q4_two_chunks(dir / "a.hfb.zip");
  zip.zip = true;
  ASSERT_TRUE(convert_checkpoint(zip).ok());
  EXPECT_EQ(requant_bundle(requant_decoder1(dir / "a.hfb.zip")).error().code, ErrorCode::kUnsupported);
  ASSERT_TRUE(convert_checkpoint(q4_two_chunks(dir / "a.hfb")).ok());
  const auto before = snapshot(dir / "a.hfb");
  RequantOptions r = requant_decoder1(dir / "a.hfb");
  r.chunk = "decoder.5";
  auto unknown = requant_bundle(r);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("decoder.1"), std::string::npos) << unknown.error().message;
  r = requant_decoder1(dir / "a.hfb");
  r.source = kFixtures + "text-kveqv";
  auto other = requant_bundle(r);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(other.error().message.find("not the checkpoint the bundle was made from"), std::string::npos)
      << other.error().to_string();
  EXPECT_TRUE(snapshot(dir / "a.hfb") == before);
  EXPECT_FALSE(has_temp_dir(dir.path()));
}

/// A sink factory that fails when the manifest is about to be written: the last step before the rename. (A crash
/// at that point: tests/cli/requant_cli_test.cpp, in a separate process.)
SinkFactory failing_at_manifest() {
  return [](const std::string& path) -> Result<std::unique_ptr<WriteSink>> {
    if (path.size() >= 11 && path.compare(path.size() - 11, 11, "manifest.pb") == 0) {
      return Error(ErrorCode::kIo, "injected failure before the rename").with_path(path);
    }
    return open_file_sink(path);
  };
}

TEST(Requant, FailureBeforeTheRenameLeavesTheOldBundle) {
  ScratchDir dir;
  ASSERT_TRUE(convert_checkpoint(q4_two_chunks(dir / "a.hfb")).ok());
  const auto before = snapshot(dir / "a.hfb");
  RequantOptions r = requant_decoder1(dir / "a.hfb");
  r.sink_factory = failing_at_manifest();
  auto failed = requant_bundle(r);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kIo);
  EXPECT_TRUE(snapshot(dir / "a.hfb") == before);
  EXPECT_FALSE(has_temp_dir(dir.path()));
  BundleReadOptions checked;
  checked.check = BundleCheck::kChecksums;
  EXPECT_TRUE(Bundle::open(dir / "a.hfb", checked).ok());
}

}  // namespace
}  // namespace hfb
