// safetensors reader on good input: every fixture checkpoint, sharded == single-file, all dtypes, edge shapes.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <set>
#include <string>

#include "core/byte_source.h"
#include "readers/safetensors.h"
#include "tests/readers/safetensors_test_util.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using test::make_safetensors;

const std::string kGemma4 = std::string(HFB_FIXTURES_DIR) + "/gemma4";

void expect_well_formed(const TensorTable& table) {
  for (const TensorInfo& t : table.tensors()) {
    ASSERT_TRUE(t.source) << t.name;
    EXPECT_LE(t.offset + t.num_bytes, t.source->size()) << t.name;
    EXPECT_EQ(t.shape.num_bytes(t.dtype), t.num_bytes) << t.name;
    auto view = table.view(t.name);
    ASSERT_TRUE(view.ok()) << view.error().to_string();
    EXPECT_EQ(view->bytes.size, t.num_bytes);
  }
}

TEST(SafetensorsReader, EveryFixtureCheckpointParses) {
  int checkpoints = 0;
  for (const auto& entry : fs::directory_iterator(kGemma4)) {
    if (!entry.is_directory() || !fs::exists(entry.path() / "config.json")) continue;  // media: no checkpoint
    auto table = read_safetensors_checkpoint(entry.path().string());
    ASSERT_TRUE(table.ok()) << table.error().to_string();
    EXPECT_GT(table->size(), 20u) << entry.path();
    expect_well_formed(*table);
    ++checkpoints;
    const std::string golden = (entry.path() / "golden_tensors.safetensors").string();
    if (fs::exists(golden)) {
      auto g = read_safetensors_checkpoint(golden);
      ASSERT_TRUE(g.ok()) << g.error().to_string();
      EXPECT_GT(g->size(), 0u);
      expect_well_formed(*g);
    }
  }
  EXPECT_GE(checkpoints, 11);
}

TEST(SafetensorsReader, SampleHeaderFieldsAndAbsoluteOffsets) {
  auto file = MmapFile::open(kGemma4 + "/sample/model.safetensors");
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  auto parsed = parse_safetensors_file(file.value());
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->header_bytes, 7032u);
  EXPECT_EQ(parsed->data_offset, 8u + 7032u);
  EXPECT_EQ(parsed->metadata.at("format"), "pt");
  ASSERT_EQ(parsed->tensors.size(), 67u);
  const TensorInfo& first = parsed->tensors.front();
  EXPECT_EQ(first.name, "model.embed_tokens.weight");
  EXPECT_EQ(first.dtype, DType(DTypeId::kBF16));
  EXPECT_EQ(first.shape, (Shape{512, 64}));
  EXPECT_EQ(first.offset, 8u + 7032u);
  EXPECT_EQ(first.num_bytes, 65536u);
  // Data-offset order, tiling the data section exactly.
  uint64_t next = parsed->data_offset;
  for (const TensorInfo& t : parsed->tensors) {
    EXPECT_EQ(t.offset, next) << t.name;
    next = t.offset + t.num_bytes;
  }
  EXPECT_EQ(next, file.value()->size());
}

TEST(SafetensorsReader, ViewsPointIntoTheMapNoCopy) {
  auto file = MmapFile::open(kGemma4 + "/sample/model.safetensors");
  ASSERT_TRUE(file.ok());
  auto tensors = parse_safetensors(file.value());
  ASSERT_TRUE(tensors.ok());
  auto whole = file.value()->read(0, file.value()->size());
  ASSERT_TRUE(whole.ok());
  for (const TensorInfo& t : *tensors) {
    EXPECT_EQ(t.source.get(), file.value().get());
    auto span = t.source->read(t.offset, t.num_bytes);
    ASSERT_TRUE(span.ok());
    EXPECT_EQ(span->data, whole->data + t.offset) << t.name;
  }
}

TEST(SafetensorsReader, ShardedEqualsSingleFile) {
  auto single = read_safetensors_checkpoint(kGemma4 + "/sample");
  auto sharded = read_safetensors_checkpoint(kGemma4 + "/sample-sharded");
  ASSERT_TRUE(single.ok()) << single.error().to_string();
  ASSERT_TRUE(sharded.ok()) << sharded.error().to_string();
  ASSERT_EQ(single->size(), sharded->size());
  std::set<std::string> shard_files;
  for (const TensorInfo& s : sharded->tensors()) {
    const TensorInfo* t = single->find(s.name);
    ASSERT_NE(t, nullptr) << s.name;
    EXPECT_EQ(t->dtype, s.dtype) << s.name;
    EXPECT_EQ(t->shape, s.shape) << s.name;
    auto a = single->view(s.name);
    auto b = sharded->view(s.name);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->bytes.size, b->bytes.size);
    EXPECT_EQ(std::memcmp(a->bytes.data, b->bytes.data, a->bytes.size), 0) << s.name;
    shard_files.insert(s.source->path());
  }
  EXPECT_EQ(shard_files.size(), 2u);
}

TEST(SafetensorsReader, AcceptsFileAndIndexPathsDirectly) {
  auto by_file = read_safetensors_checkpoint(kGemma4 + "/sample/model.safetensors");
  auto by_index = read_safetensors_checkpoint(kGemma4 + "/sample-sharded/model.safetensors.index.json");
  ASSERT_TRUE(by_file.ok()) << by_file.error().to_string();
  ASSERT_TRUE(by_index.ok()) << by_index.error().to_string();
  EXPECT_EQ(by_file->size(), 67u);
  EXPECT_EQ(by_index->size(), 67u);
}

TEST(SafetensorsReader, EveryPlainDtypeAndEdgeShapes) {
  const std::string h =
      R"({"f32":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("f16":{"dtype":"F16","shape":[1],"data_offsets":[8,10]},)"
      R"("bf16":{"dtype":"BF16","shape":[1],"data_offsets":[10,12]},)"
      R"("f64":{"dtype":"F64","shape":[],"data_offsets":[12,20]},)"
      R"("i64":{"dtype":"I64","shape":[1],"data_offsets":[20,28]},)"
      R"("i32":{"dtype":"I32","shape":[1],"data_offsets":[28,32]},)"
      R"("i16":{"dtype":"I16","shape":[1],"data_offsets":[32,34]},)"
      R"("i8":{"dtype":"I8","shape":[1],"data_offsets":[34,35]},)"
      R"("u8":{"dtype":"U8","shape":[1],"data_offsets":[35,36]},)"
      R"("empty":{"dtype":"F32","shape":[0,4],"data_offsets":[36,36]},)"
      R"("b\u006fol":{"dtype":"BOOL","shape":[1,1,1,1,1,1,1,4],"data_offsets":[36,40]}}    )";
  auto r = parse_safetensors(std::make_shared<MemorySource>(make_safetensors(h, 40)));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 11u);
  EXPECT_EQ((*r)[0].name, "f32");
  EXPECT_EQ((*r)[3].shape.rank(), 0u);
  EXPECT_EQ((*r)[9].name, "empty");  // ties at offset 36: the empty tensor sorts first
  EXPECT_EQ((*r)[9].num_bytes, 0u);
  EXPECT_EQ((*r)[10].name, "bool");  // escaped key decoded
  EXPECT_EQ((*r)[10].dtype, DType(DTypeId::kBool));
  EXPECT_EQ((*r)[10].offset, 8 + h.size() + 36);
}

TEST(SafetensorsReader, EmptyHeaderAndEscapedDuplicate) {
  auto empty = parse_safetensors_file(std::make_shared<MemorySource>(make_safetensors("{}", 0)));
  ASSERT_TRUE(empty.ok()) << empty.error().to_string();
  EXPECT_TRUE(empty->tensors.empty());
  EXPECT_TRUE(empty->metadata.empty());
  // "a" and "\u0061" are the same JSON key: a duplicate even though the bytes differ.
  const std::string h = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                        R"("\u0061":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  auto dup = parse_safetensors(std::make_shared<MemorySource>(make_safetensors(h, 1), "x.safetensors"));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("duplicate key 'a'"), std::string::npos) << dup.error().to_string();
  EXPECT_EQ(dup.error().offset, 8 + h.find("\"\\u0061\""));
}

// The fuzz seeds must stay valid, or the fuzzer starts from nothing.
TEST(SafetensorsReader, FuzzSeedCorpusParses) {
  int seeds = 0;
  for (const auto& entry : fs::directory_iterator(std::string(HFB_FIXTURES_DIR) + "/fuzz/safetensors")) {
    auto table = read_safetensors_checkpoint(entry.path().string());
    ASSERT_TRUE(table.ok()) << table.error().to_string();
    expect_well_formed(*table);
    ++seeds;
  }
  EXPECT_GE(seeds, 4);
}

TEST(SafetensorsReader, MissingCheckpointNamesDirectoryAndFiles) {
  test::TempDir dir;
  auto r = read_safetensors_checkpoint(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  test::expect_error_matches(r.error(), {ErrorCode::kNotFound,
                                         {dir.path(), "model.safetensors.index.json", "model.safetensors"},
                                         dir.path(), "", {}});
  auto gone = read_safetensors_checkpoint(dir.path() + "/nope");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hfb
