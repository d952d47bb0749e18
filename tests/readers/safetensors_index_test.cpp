// Corruption catalogue for sharded checkpoints: each case writes an index and shards into a temp dir and
// names the error code, file, tensor and message parts read_safetensors_checkpoint must report.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "readers/safetensors.h"
#include "tests/readers/safetensors_test_util.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using test::ExpectedError;
using test::make_safetensors;
using test::TempDir;

enum class IndexCorruption {
  kMissingShard,
  kDotDotPath,
  kAbsolutePath,
  kDotSlashPath,
  kNestedPath,
  kShardIsDirectory,
  kShardMissingListedTensor,
  kShardWithUnlistedTensor,
  kTensorInTwoShards,
  kIndexMapsToOtherShard,
  kBadIndexJson,
  kIndexWithoutWeightMap,
  kShardNameNotString,
  kDuplicateIndexEntry,
  kCorruptShard,
  kCount,
};

const char* index_corruption_name(IndexCorruption c) {
  static const char* const kNames[] = {
      "MissingShard",           "DotDotPath",      "AbsolutePath",        "DotSlashPath",
      "NestedPath",             "ShardIsDirectory", "ShardMissingListedTensor", "ShardWithUnlistedTensor", "TensorInTwoShards",
      "IndexMapsToOtherShard",  "BadIndexJson",    "IndexWithoutWeightMap", "ShardNameNotString",
      "DuplicateIndexEntry",    "CorruptShard",
  };
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(IndexCorruption::kCount));
  return kNames[static_cast<size_t>(c)];
}

constexpr const char* kIndex = "model.safetensors.index.json";
constexpr const char* kShard1 = "model-00001-of-00002.safetensors";
constexpr const char* kShard2 = "model-00002-of-00002.safetensors";

/// The header of a shard holding U8 [1] tensors with the given names, one byte each.
std::string shard_header(const std::vector<std::string>& names) {
  std::string h = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) h += ",";
    h += "\"" + names[i] + "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[" + std::to_string(i) + "," +
         std::to_string(i + 1) + "]}";
  }
  return h + "}";
}

std::vector<uint8_t> shard_bytes(const std::vector<std::string>& names) {
  return make_safetensors(shard_header(names), names.size());
}

std::string index_json(const std::string& weight_map_body) {
  return R"({"metadata":{"total_size":2},"weight_map":{)" + weight_map_body + "}}";
}

/// Writes the case into `dir` and returns what reading it must report.
ExpectedError write_case(IndexCorruption c, const TempDir& dir) {
  const std::string s1 = std::string("\"") + kShard1 + "\"";
  switch (c) {
    case IndexCorruption::kMissingShard:
      dir.write(kShard1, shard_bytes({"a"}));
      dir.write_text(kIndex, index_json(R"("a":)" + s1 + R"(,"b":")" + kShard2 + "\""));
      return {ErrorCode::kNotFound, {kShard2, "cannot be opened", "incomplete download"}, kIndex, "b", {}};
    case IndexCorruption::kDotDotPath:
      dir.write_text(kIndex, index_json(R"("a":"../outside.safetensors")"));
      return {ErrorCode::kInvalidFile, {"'../outside.safetensors' contains '..'"}, kIndex, "a", {}};
    case IndexCorruption::kAbsolutePath:
      dir.write_text(kIndex, index_json(R"("a":"/etc/passwd")"));
      return {ErrorCode::kInvalidFile, {"'/etc/passwd' is absolute"}, kIndex, "a", {}};
    case IndexCorruption::kDotSlashPath:
      dir.write(kShard1, shard_bytes({"a"}));
      dir.write_text(kIndex, index_json(R"("a":"./)" + std::string(kShard1) + "\""));
      return {ErrorCode::kInvalidFile, {"not a normalized relative path"}, kIndex, "a", {}};
    case IndexCorruption::kNestedPath:
      dir.write_text(kIndex, index_json(R"("a":"x/y/shard.safetensors")"));
      return {ErrorCode::kInvalidFile, {"'x/y/shard.safetensors' is nested more than one folder deep"}, kIndex, "a", {}};
    case IndexCorruption::kShardIsDirectory:
      fs::create_directory(dir.file(kShard1));
      dir.write_text(kIndex, index_json(R"("a":)" + s1));
      return {ErrorCode::kInvalidFile, {kShard1, "is not a regular file"}, kIndex, "a", {}};
    case IndexCorruption::kShardMissingListedTensor:
      dir.write(kShard1, shard_bytes({"a"}));
      dir.write_text(kIndex, index_json(R"("a":)" + s1 + R"(,"b":)" + s1));
      return {ErrorCode::kNotFound, {"listed in the index but absent from its shard", kShard1}, kIndex, "b", {}};
    case IndexCorruption::kShardWithUnlistedTensor:
      dir.write(kShard1, shard_bytes({"a", "b"}));
      dir.write_text(kIndex, index_json(R"("a":)" + s1));
      return {ErrorCode::kInvalidFile, {"not listed in the index"}, kShard1, "b",
              test::data_at(shard_header({"a", "b"}), 1)};
    case IndexCorruption::kTensorInTwoShards:
      dir.write(kShard1, shard_bytes({"a"}));
      dir.write(kShard2, shard_bytes({"a", "b"}));
      dir.write_text(kIndex, index_json(R"("a":)" + s1 + R"(,"b":")" + kShard2 + "\""));
      return {ErrorCode::kInvalidFile, {"present in two shards", kShard1, kShard2}, kShard2, "a", {}};
    case IndexCorruption::kIndexMapsToOtherShard:
      dir.write(kShard1, shard_bytes({"a", "b"}));
      dir.write(kShard2, shard_bytes({"c"}));
      dir.write_text(kIndex, index_json(R"("a":)" + s1 + R"(,"b":")" + kShard2 + R"(","c":")" + kShard2 + "\""));
      return {ErrorCode::kInvalidFile, {"but the index maps it to", kShard2}, kShard1, "b", {}};
    case IndexCorruption::kBadIndexJson:
      dir.write_text(kIndex, R"({"weight_map": {"a": )");
      return {ErrorCode::kInvalidFile, {"index is not valid JSON"}, kIndex, "", {}};
    case IndexCorruption::kIndexWithoutWeightMap:
      dir.write_text(kIndex, R"({"metadata": {}})");
      return {ErrorCode::kInvalidFile, {"'weight_map' object", "got none"}, kIndex, "", {}};
    case IndexCorruption::kShardNameNotString:
      dir.write_text(kIndex, index_json(R"("a":1)"));
      return {ErrorCode::kInvalidFile, {"must be a shard file name, got integer 1"}, kIndex, "a", {}};
    case IndexCorruption::kDuplicateIndexEntry: {
      const std::string text = index_json(R"("a":)" + s1 + R"(,"a":")" + kShard2 + "\"");
      dir.write_text(kIndex, text);
      return {ErrorCode::kInvalidFile, {"duplicate key 'a'"}, kIndex, "", text.rfind("\"a\"")};
    }
    case IndexCorruption::kCorruptShard: {
      std::vector<uint8_t> bytes = shard_bytes({"a"});
      bytes.resize(bytes.size() - 1);
      dir.write(kShard1, bytes);
      dir.write_text(kIndex, index_json(R"("a":)" + s1));
      return {ErrorCode::kInvalidFile, {"exceeds data section of 0 bytes", "while reading shard listed in"}, kShard1,
              "a", {}};
    }
    case IndexCorruption::kCount:
      break;
  }
  return {};
}

class SafetensorsIndexCorruption : public ::testing::TestWithParam<IndexCorruption> {};

TEST_P(SafetensorsIndexCorruption, FailsWithCodeFileAndTensor) {
  TempDir dir;
  const ExpectedError want = write_case(GetParam(), dir);
  ASSERT_FALSE(want.substrings.empty()) << "no builder for " << index_corruption_name(GetParam());
  auto r = read_safetensors_checkpoint(dir.path());
  ASSERT_FALSE(r.ok()) << index_corruption_name(GetParam()) << " was accepted";
  test::expect_error_matches(r.error(), want);
}

std::vector<IndexCorruption> all_index_corruptions() {
  std::vector<IndexCorruption> out;
  for (int i = 0; i < static_cast<int>(IndexCorruption::kCount); ++i) out.push_back(static_cast<IndexCorruption>(i));
  return out;
}

INSTANTIATE_TEST_SUITE_P(Catalogue, SafetensorsIndexCorruption, ::testing::ValuesIn(all_index_corruptions()),
                         [](const ::testing::TestParamInfo<IndexCorruption>& info) {
                           return std::string(index_corruption_name(info.param));
                         });

// The control for the catalogue: the same builders with everything consistent are accepted, including a
// symlinked shard that stays inside the directory.
TEST(SafetensorsIndex, ConsistentIndexWithInternalSymlinkIsAccepted) {
  TempDir dir;
  fs::create_directory(dir.file("blobs"));
  dir.write("blobs/one.safetensors", shard_bytes({"a", "b"}));
  fs::create_symlink("blobs/one.safetensors", dir.file(kShard1));
  dir.write(kShard2, shard_bytes({"c"}));
  dir.write_text(kIndex, index_json(std::string(R"("a":")") + kShard1 + R"(","b":")" + kShard1 + R"(","c":")" +
                                    kShard2 + "\""));
  auto r = read_safetensors_checkpoint(dir.path());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(r->tensors()[0].name, "a");
  EXPECT_EQ(r->tensors()[2].name, "c");
  EXPECT_NE(r->tensors()[2].source->path().find(kShard2), std::string::npos);
}

// A Hugging Face hub cache: every snapshot file is a symlink to ../../blobs/<hash>, outside the snapshot folder.
TEST(SafetensorsIndex, HubCacheSymlinksOutOfTheSnapshotAreAccepted) {
  TempDir dir;
  fs::create_directories(dir.file("blobs"));
  fs::create_directories(dir.file("snapshots/abc"));
  dir.write("blobs/1111", shard_bytes({"a"}));
  dir.write("blobs/2222", shard_bytes({"b"}));
  dir.write_text("blobs/3333", index_json(std::string(R"("a":")") + kShard1 + R"(","b":")" + kShard2 + "\""));
  fs::create_symlink("../../blobs/1111", dir.file("snapshots/abc/") + kShard1);
  fs::create_symlink("../../blobs/2222", dir.file("snapshots/abc/") + kShard2);
  fs::create_symlink("../../blobs/3333", dir.file("snapshots/abc/") + kIndex);
  auto r = read_safetensors_checkpoint(dir.file("snapshots/abc"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(r->tensors()[1].name, "b");
}

// A dangling symlink (blob not downloaded) is a missing shard, not a crash.
TEST(SafetensorsIndex, DanglingShardSymlinkIsAMissingShard) {
  TempDir dir;
  fs::create_symlink("blobs/absent", dir.file(kShard1));
  dir.write_text(kIndex, index_json(std::string(R"("a":")") + kShard1 + "\""));
  auto r = read_safetensors_checkpoint(dir.path());
  ASSERT_FALSE(r.ok());
  test::expect_error_matches(r.error(), {ErrorCode::kNotFound, {"dangling symlink", "incomplete download"}, kIndex,
                                         "a", {}});
}

TEST(SafetensorsIndex, IndexWinsOverSingleFile) {
  TempDir dir;
  dir.write("model.safetensors", shard_bytes({"single"}));
  dir.write(kShard1, shard_bytes({"sharded"}));
  dir.write_text(kIndex, index_json(std::string(R"("sharded":")") + kShard1 + "\""));
  auto r = read_safetensors_checkpoint(dir.path());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->tensors()[0].name, "sharded");
}

}  // namespace
}  // namespace hfb
