// GGUF writer: serialize_gguf -> parse_gguf gives back the same metadata and tensors, the streaming writer's file
// equals serialize_gguf's bytes, and llama.cpp-written reference GGUFs re-serialise to the identical file.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "readers/gguf.h"
#include "tests/writers/bundle_test_util.h"
#include "writers/gguf_writer.h"

namespace hfb {
namespace {

using gguf::GgmlType;
using gguf::Value;
using testing::list_dir;
using testing::ScratchDir;

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

gguf::Metadata every_kind_of_value() {
  Value u64 = Value::u64(1ull << 40);
  Value i8;
  i8.type = gguf::ValueType::kInt8;
  i8.bytes = {0xFF};
  return {{"general.architecture", Value::str("gemma4")},
          {"a.u32", Value::u32(7)},
          {"a.i32", Value::i32(-3)},
          {"a.u64", u64},
          {"a.i8", i8},
          {"a.f32", Value::f32(1.5f)},
          {"a.bool", Value::boolean(true)},
          {"a.u32s", Value::u32_array({1, 2, 3})},
          {"a.i32s", Value::i32_array({-1, 5})},
          {"a.f32s", Value::f32_array({0.25f})},
          {"a.bools", Value::bool_array({true, false, true})},
          {"a.strs", Value::str_array({"x", "", "\xe2\x96\x81 \xe2\x96\x81"})}};
}

std::vector<GgufTensorData> every_kind_of_tensor() {
  return {{"t.f32", {3, 2}, GgmlType::kF32, pattern(24, 1)},
          {"t.f16", {5}, GgmlType::kF16, pattern(10, 2)},
          {"t.bf16", {2, 1, 3}, GgmlType::kBF16, pattern(12, 3)},
          {"t.q4_0", {64, 2}, GgmlType::kQ4_0, pattern(72, 4)},
          {"t.q8_0", {32, 1, 1, 2}, GgmlType::kQ8_0, pattern(68, 5)}};
}

void expect_same_metadata(const gguf::Metadata& a, const gguf::Metadata& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_EQ(a[i].second.type, b[i].second.type) << a[i].first;
    EXPECT_EQ(a[i].second.bytes, b[i].second.bytes) << a[i].first;
    EXPECT_EQ(a[i].second.strings, b[i].second.strings) << a[i].first;
    if (a[i].second.type == gguf::ValueType::kArray) EXPECT_EQ(a[i].second.element_type, b[i].second.element_type);
  }
}

TEST(GgufWriter, SerializeThenParseGivesTheSameMetadataAndTensors) {
  const auto metadata = every_kind_of_value();
  const auto tensors = every_kind_of_tensor();
  auto bytes = serialize_gguf(metadata, tensors);
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  auto file = parse_gguf(std::make_shared<MemorySource>(*bytes));
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  expect_same_metadata(metadata, file->metadata);
  EXPECT_EQ(file->alignment, 32u);
  EXPECT_EQ(file->data_offset % 32, 0u);
  ASSERT_EQ(file->tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = file->tensors[i];
    EXPECT_EQ(t.name, tensors[i].name);
    EXPECT_EQ(t.ne, tensors[i].ne);
    EXPECT_EQ(t.type, tensors[i].type);
    EXPECT_EQ(t.offset % 32, 0u) << t.name;
    auto data = file->tensor_data(t);
    ASSERT_TRUE(data.ok());
    EXPECT_EQ(std::vector<uint8_t>(data->data, data->data + data->size), tensors[i].data) << t.name;
  }
  EXPECT_EQ(bytes->size() % 32, 0u);  // the last tensor is padded too, as gguf-py does
  EXPECT_EQ(*file->find(std::string("a.i8"))->int_at(), -1);
  EXPECT_EQ(*file->find(std::string("a.strs"))->string_at(2), "\xe2\x96\x81 \xe2\x96\x81");
}

TEST(GgufWriter, StreamedFileEqualsSerializedBytesAtEveryAlignment) {
  for (uint32_t alignment : {32u, 64u, 4096u}) {
    ScratchDir dir;
    const std::string out = dir / "model.gguf";
    auto writer = GgufWriter::create(out, alignment);
    ASSERT_TRUE(writer.ok());
    const auto tensors = every_kind_of_tensor();
    for (const auto& [k, v] : every_kind_of_value()) ASSERT_TRUE((*writer)->add_metadata(k, v).ok());
    for (const auto& t : tensors) ASSERT_TRUE((*writer)->add_tensor(t.name, t.ne, t.type).ok());
    ASSERT_TRUE((*writer)->write_header().ok());
    std::vector<uint8_t> all;
    for (const auto& t : tensors) all.insert(all.end(), t.data.begin(), t.data.end());
    for (size_t at = 0; at < all.size(); at += 5) {  // pieces that straddle tensor boundaries
      EXPECT_FALSE((*writer)->current_tensor().empty());
      ASSERT_TRUE((*writer)->write_tensor_data(all.data() + at, std::min<size_t>(5, all.size() - at)).ok());
    }
    EXPECT_TRUE((*writer)->current_tensor().empty());
    ASSERT_TRUE((*writer)->finish().ok());
    auto expected = serialize_gguf(every_kind_of_value(), tensors, alignment);
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(read_bytes(out), *expected) << alignment;
    EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{"model.gguf"});
    auto file = read_gguf(out);
    ASSERT_TRUE(file.ok()) << file.error().to_string();
    EXPECT_EQ(file->alignment, alignment);
    EXPECT_EQ(file->find(gguf::kAlignmentKey) != nullptr, alignment != 32);
  }
}

TEST(GgufWriter, UnfinishedWriterLeavesNothingAndMisuseIsNamed) {
  ScratchDir dir;
  {
    auto writer = GgufWriter::create(dir / "m.gguf");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->add_tensor("a", {4}, GgmlType::kF32).ok());
    ASSERT_TRUE((*writer)->write_header().ok());
    const uint8_t bytes[16] = {};
    ASSERT_TRUE((*writer)->write_tensor_data(bytes, 8).ok());
    auto finished = (*writer)->finish();
    ASSERT_FALSE(finished.ok());
    EXPECT_EQ(finished.error().code, ErrorCode::kInternal);
    EXPECT_EQ(finished.error().tensor, "a");
    auto too_much = (*writer)->write_tensor_data(bytes, 16);  // 8 complete the tensor, 8 have no tensor
    EXPECT_EQ(too_much.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_TRUE(list_dir(dir.path()).empty());
  EXPECT_EQ(GgufWriter::create(dir / "x", 16).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(GgufWriter::create(dir / "x", 48).error().code, ErrorCode::kInvalidArgument);
}

TEST(GgufWriter, RefusesWhatLlamaCppWouldRefuse) {
  auto writer = GgufWriter::create("/nonexistent/never-written.gguf");
  ASSERT_TRUE(writer.ok());
  auto& w = **writer;
  ASSERT_TRUE(w.add_metadata("k", Value::u32(1)).ok());
  EXPECT_EQ(w.add_metadata("k", Value::u32(2)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(w.add_metadata("e", Value::u32_array({})).error().code, ErrorCode::kInvalidArgument);
  Value nested = Value::u32_array({1});
  nested.element_type = gguf::ValueType::kArray;
  EXPECT_EQ(w.add_metadata("n", nested).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(w.add_metadata(gguf::kAlignmentKey, Value::u32(64)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(w.add_tensor(std::string(64, 'x'), {4}, GgmlType::kF32).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(w.add_tensor(std::string(63, 'x'), {4}, GgmlType::kF32).ok());
  EXPECT_EQ(w.add_tensor("q", {48}, GgmlType::kQ4_0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(w.add_tensor("z", {0}, GgmlType::kF32).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(w.add_tensor("d", {1, 1, 1, 1, 1}, GgmlType::kF32).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(w.add_tensor("o", {INT64_MAX, 4}, GgmlType::kF32).error().code, ErrorCode::kLimit);
  auto header = w.write_header();
  ASSERT_FALSE(header.ok());  // the directory does not exist
  EXPECT_EQ(header.error().code, ErrorCode::kIo);
}

/// The reference GGUFs were written by llama.cpp's gguf-py (converter) and ggml (quantizer): parsing one and
/// writing its metadata and tensors back in file order must give the identical file.
TEST(GgufWriter, LlamaCppWrittenFilesReserializeByteForByte) {
  for (const char* name : {"sample-f32.gguf", "sample-q4_0-pure.gguf", "sample-q8_0-pure.gguf", "sample-bf16.gguf",
                           "mm-mmproj-f32.gguf", "moe-f32.gguf"}) {
    const std::string path = std::string(HFB_FIXTURES_DIR) + "/gemma4/gguf/" + name;
    auto file = read_gguf(path);
    ASSERT_TRUE(file.ok()) << file.error().to_string();
    std::vector<GgufTensorData> tensors;
    for (const auto& t : file->tensors) {
      auto data = file->tensor_data(t);
      ASSERT_TRUE(data.ok());
      tensors.push_back({t.name, t.ne, t.type, std::vector<uint8_t>(data->data, data->data + data->size)});
    }
    auto bytes = serialize_gguf(file->metadata, tensors, file->alignment);
    ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
    EXPECT_TRUE(*bytes == read_bytes(path)) << name;
  }
}

}  // namespace
}  // namespace hfb
