// Corruption catalogue for GGUF (after llama.cpp tests/test-gguf.cpp): a small file is written field by field in
// the test, with one corruption chosen from an enum; each kind names the error code the reader must return. Also:
// truncation at every byte, and random byte flips (no crash, every failure carries a code and the path).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "readers/gguf.h"

namespace hfb {
namespace {

enum class Corruption {
  kNone,
  kBadMagic,
  kVersionZero,
  kVersionTwo,
  kVersionBigEndian,
  kHugeTensorCount,
  kHugeKvCount,
  kNegativeTensorCount,
  kTensorCountAboveLimit,
  kKvCountAboveLimit,
  kStringBeyondFile,
  kStringAboveLimit,
  kBadValueType,
  kBadArrayElementType,
  kArrayOfArrays,
  kArrayAboveLimit,
  kArrayBeyondFile,
  kDuplicateKey,
  kDuplicateTensor,
  kZeroDims,
  kFiveDims,
  kNegativeNe,
  kNumelOverflow,
  kNotBlockMultiple,
  kUnknownGgmlType,
  kUnsupportedGgmlType,
  kMisalignedOffset,
  kNonContiguousOffset,
  kTensorBeyondEof,
  kAlignmentWrongType,
  kAlignmentNotPowerOfTwo,
  kAlignmentZero,
  kName64Bytes,
  kCount,
};

struct Expected {
  const char* name;
  bool ok;
  ErrorCode code;
};

Expected expected_for(Corruption c) {
  switch (c) {
    case Corruption::kNone: return {"none", true, ErrorCode::kInternal};
    case Corruption::kBadMagic: return {"bad_magic", false, ErrorCode::kInvalidFile};
    case Corruption::kVersionZero: return {"version_zero", false, ErrorCode::kInvalidFile};
    case Corruption::kVersionTwo: return {"version_two", false, ErrorCode::kUnsupported};
    case Corruption::kVersionBigEndian: return {"version_big_endian", false, ErrorCode::kInvalidFile};
    case Corruption::kHugeTensorCount: return {"huge_n_tensors", false, ErrorCode::kInvalidFile};
    case Corruption::kHugeKvCount: return {"huge_n_kv", false, ErrorCode::kInvalidFile};
    case Corruption::kNegativeTensorCount: return {"negative_n_tensors", false, ErrorCode::kInvalidFile};
    case Corruption::kTensorCountAboveLimit: return {"n_tensors_above_limit", false, ErrorCode::kLimit};
    case Corruption::kKvCountAboveLimit: return {"n_kv_above_limit", false, ErrorCode::kLimit};
    case Corruption::kStringBeyondFile: return {"string_beyond_file", false, ErrorCode::kInvalidFile};
    case Corruption::kStringAboveLimit: return {"string_above_limit", false, ErrorCode::kLimit};
    case Corruption::kBadValueType: return {"bad_value_type", false, ErrorCode::kInvalidFile};
    case Corruption::kBadArrayElementType: return {"bad_array_element_type", false, ErrorCode::kInvalidFile};
    case Corruption::kArrayOfArrays: return {"array_of_arrays", false, ErrorCode::kInvalidFile};
    case Corruption::kArrayAboveLimit: return {"array_above_limit", false, ErrorCode::kLimit};
    case Corruption::kArrayBeyondFile: return {"array_beyond_file", false, ErrorCode::kInvalidFile};
    case Corruption::kDuplicateKey: return {"duplicate_key", false, ErrorCode::kInvalidFile};
    case Corruption::kDuplicateTensor: return {"duplicate_tensor", false, ErrorCode::kInvalidFile};
    case Corruption::kZeroDims: return {"zero_dims", false, ErrorCode::kInvalidFile};
    case Corruption::kFiveDims: return {"five_dims", false, ErrorCode::kInvalidFile};
    case Corruption::kNegativeNe: return {"negative_ne", false, ErrorCode::kInvalidFile};
    case Corruption::kNumelOverflow: return {"numel_overflow", false, ErrorCode::kInvalidFile};
    case Corruption::kNotBlockMultiple: return {"ne0_not_block_multiple", false, ErrorCode::kInvalidFile};
    case Corruption::kUnknownGgmlType: return {"unknown_ggml_type", false, ErrorCode::kInvalidFile};
    case Corruption::kUnsupportedGgmlType: return {"unsupported_ggml_type", false, ErrorCode::kUnsupported};
    case Corruption::kMisalignedOffset: return {"misaligned_offset", false, ErrorCode::kInvalidFile};
    case Corruption::kNonContiguousOffset: return {"non_contiguous_offset", false, ErrorCode::kInvalidFile};
    case Corruption::kTensorBeyondEof: return {"tensor_beyond_eof", false, ErrorCode::kInvalidFile};
    case Corruption::kAlignmentWrongType: return {"alignment_wrong_type", false, ErrorCode::kInvalidFile};
    case Corruption::kAlignmentNotPowerOfTwo: return {"alignment_not_power_of_two", false, ErrorCode::kInvalidFile};
    case Corruption::kAlignmentZero: return {"alignment_zero", false, ErrorCode::kInvalidFile};
    case Corruption::kName64Bytes: return {"name_64_bytes", false, ErrorCode::kInvalidFile};
    case Corruption::kCount: break;
  }
  return {"?", false, ErrorCode::kInternal};
}

/// Writes a GGUF field by field, applying one corruption (test-gguf.cpp's handcrafted_write_* in one builder).
class Builder {
 public:
  explicit Builder(Corruption c) : c_(c) {}

  std::vector<uint8_t> build() {
    put<uint32_t>(c_ == Corruption::kBadMagic ? 0x46554746u : 0x46554747u);
    put<uint32_t>(version());
    put<int64_t>(tensor_count());
    put<int64_t>(kv_count());
    write_kvs();
    const uint32_t alignment = 64;
    const std::vector<std::vector<int64_t>> shapes = {{4, 2}, {32}, {3}};
    std::vector<uint64_t> sizes = {32, 18, 12};
    uint64_t offset = 0;
    for (size_t i = 0; i < shapes.size(); ++i) {
      write_tensor_info(i, shapes[i], offset);
      offset += (sizes[i] + alignment - 1) / alignment * alignment;
    }
    while (out_.size() % alignment != 0) out_.push_back(0);
    const uint64_t data_bytes = c_ == Corruption::kTensorBeyondEof ? offset - alignment : offset;
    for (uint64_t i = 0; i < data_bytes; ++i) out_.push_back(static_cast<uint8_t>(i));
    return out_;
  }
  uint64_t data_end_without_padding() const { return data_end_; }

 private:
  template <typename T>
  void put(T v) {
    const size_t at = out_.size();
    out_.resize(at + sizeof(T));
    std::memcpy(out_.data() + at, &v, sizeof(T));
  }
  void put_string(const std::string& s, uint64_t declared) {
    put<uint64_t>(declared);
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void put_string(const std::string& s) { put_string(s, s.size()); }

  uint32_t version() const {
    if (c_ == Corruption::kVersionZero) return 0;
    if (c_ == Corruption::kVersionTwo) return 2;
    if (c_ == Corruption::kVersionBigEndian) return 0x03000000u;
    return 3;
  }
  int64_t tensor_count() const {
    if (c_ == Corruption::kHugeTensorCount) return int64_t{1} << 16;
    if (c_ == Corruption::kNegativeTensorCount) return -1;
    if (c_ == Corruption::kTensorCountAboveLimit) return int64_t{1} << 40;
    return 3;
  }
  int64_t kv_count() const {
    if (c_ == Corruption::kHugeKvCount) return 60000;
    if (c_ == Corruption::kKvCountAboveLimit) return int64_t{1} << 20;
    return 5;
  }

  void write_kvs() {
    put_string("general.architecture");
    put<int32_t>(c_ == Corruption::kBadValueType ? 13 : 8);
    if (c_ == Corruption::kStringBeyondFile) {
      put_string("gemma4", 1000000);
    } else if (c_ == Corruption::kStringAboveLimit) {
      put_string("gemma4", uint64_t{1} << 62);
    } else {
      put_string("gemma4");
    }
    put_string(c_ == Corruption::kDuplicateKey ? "general.architecture" : "x.count");
    put<int32_t>(4);
    put<uint32_t>(7);
    put_string("x.list");
    put<int32_t>(9);
    put<int32_t>(c_ == Corruption::kArrayOfArrays ? 9 : c_ == Corruption::kBadArrayElementType ? -2 : 5);
    put<uint64_t>(c_ == Corruption::kArrayAboveLimit ? (uint64_t{1} << 60)
                  : c_ == Corruption::kArrayBeyondFile ? 1000000 : 3);
    for (int32_t v : {1, 2, 3}) put<int32_t>(v);
    put_string("x.tokens");
    put<int32_t>(9);
    put<int32_t>(8);
    put<uint64_t>(2);
    put_string("a");
    put_string("\xe2\x96\x81");
    put_string(gguf::kAlignmentKey);
    if (c_ == Corruption::kAlignmentWrongType) {
      put<int32_t>(5);
      put<int32_t>(64);
    } else {
      put<int32_t>(4);
      put<uint32_t>(c_ == Corruption::kAlignmentNotPowerOfTwo ? 48 : c_ == Corruption::kAlignmentZero ? 0 : 64);
    }
  }

  void write_tensor_info(size_t i, std::vector<int64_t> ne, uint64_t offset) {
    std::string name = "t" + std::to_string(i);
    if (i == 2 && c_ == Corruption::kDuplicateTensor) name = "t0";
    if (i == 1 && c_ == Corruption::kName64Bytes) name = std::string(64, 'n');
    put_string(name);
    if (i == 0 && c_ == Corruption::kZeroDims) ne.clear();
    if (i == 0 && c_ == Corruption::kFiveDims) ne = {4, 2, 1, 1, 1};
    if (i == 0 && c_ == Corruption::kNegativeNe) ne = {4, -2};
    if (i == 0 && c_ == Corruption::kNumelOverflow) ne = {int64_t{1} << 32, int64_t{1} << 32};
    if (i == 1 && c_ == Corruption::kNotBlockMultiple) ne = {16, 2};
    put<uint32_t>(static_cast<uint32_t>(ne.size()));
    for (int64_t d : ne) put<int64_t>(d);
    int32_t type = i == 0 ? 0 : i == 1 ? 2 : 30;  // F32 [4,2], Q4_0 [32], BF16 [3]
    if (i == 2 && c_ == Corruption::kUnknownGgmlType) type = 1234;
    if (i == 2 && c_ == Corruption::kUnsupportedGgmlType) type = 12;  // Q4_K
    put<int32_t>(type);
    if (i == 1 && c_ == Corruption::kMisalignedOffset) offset += 4;
    if (i == 2 && c_ == Corruption::kNonContiguousOffset) offset += 64;
    put<uint64_t>(offset);
    data_end_ = offset + 12;  // only meaningful for the last tensor (BF16 [3])
  }

  Corruption c_;
  std::vector<uint8_t> out_;
  uint64_t data_end_ = 0;
};

Result<GgufFile> parse_bytes(std::vector<uint8_t> bytes, const GgufLimits& limits = {}) {
  return parse_gguf(std::make_shared<MemorySource>(std::move(bytes), "case.gguf"), limits);
}

TEST(GgufCorruption, EveryKindFailsWithItsCode) {
  GgufLimits limits;
  limits.max_string_bytes = 1 << 20;
  for (int i = 0; i < static_cast<int>(Corruption::kCount); ++i) {
    const auto kind = static_cast<Corruption>(i);
    const Expected expected = expected_for(kind);
    SCOPED_TRACE(expected.name);
    auto file = parse_bytes(Builder(kind).build(), limits);
    if (expected.ok) {
      ASSERT_TRUE(file.ok()) << file.error().to_string();
      EXPECT_EQ(file->alignment, 64u);
      EXPECT_EQ(file->tensors.size(), 3u);
      EXPECT_EQ(file->tensors[1].type, gguf::GgmlType::kQ4_0);
      continue;
    }
    ASSERT_FALSE(file.ok());
    EXPECT_EQ(file.error().code, expected.code) << file.error().to_string();
    EXPECT_EQ(file.error().path, "case.gguf");
    EXPECT_TRUE(file.error().offset.has_value()) << file.error().to_string();
  }
}

TEST(GgufCorruption, ErrorsNameTheTensorAndWhatWasExpected) {
  auto file = parse_bytes(Builder(Corruption::kNonContiguousOffset).build());
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().tensor, "t2");
  EXPECT_NE(file.error().message.find("expected 128"), std::string::npos) << file.error().message;
  auto dup = parse_bytes(Builder(Corruption::kDuplicateKey).build());
  EXPECT_NE(dup.error().message.find("general.architecture"), std::string::npos);
  auto q4k = parse_bytes(Builder(Corruption::kUnsupportedGgmlType).build());
  EXPECT_NE(q4k.error().message.find("Q4_K"), std::string::npos);
}

TEST(GgufCorruption, TruncationAtEveryByteFailsUntilTheLastTensorIsWhole) {
  Builder builder(Corruption::kNone);
  const auto bytes = builder.build();
  auto whole = parse_bytes(bytes);
  ASSERT_TRUE(whole.ok());
  const uint64_t needed = whole->tensors.back().offset + whole->tensors.back().nbytes;
  for (uint64_t n = 0; n < bytes.size(); ++n) {
    auto file = parse_bytes(std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n)));
    if (n >= needed) {
      EXPECT_TRUE(file.ok()) << n;  // the last tensor's padding is optional (llama.cpp's loader agrees)
    } else {
      ASSERT_FALSE(file.ok()) << n;
      EXPECT_EQ(file.error().code, ErrorCode::kInvalidFile) << n << ": " << file.error().to_string();
    }
  }
}

TEST(GgufCorruption, RandomByteFlipsNeverCrashAndAlwaysCarryACode) {
  const auto bytes = Builder(Corruption::kNone).build();
  std::mt19937 rng(19);
  int failures = 0;
  for (int round = 0; round < 3000; ++round) {
    auto copy = bytes;
    for (int k = 0; k < 1 + round % 4; ++k) copy[rng() % copy.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    auto file = parse_bytes(std::move(copy));
    if (!file.ok()) {
      ++failures;
      EXPECT_FALSE(file.error().message.empty());
      EXPECT_EQ(file.error().path, "case.gguf");
    }
  }
  EXPECT_GT(failures, 100);
}

}  // namespace
}  // namespace hfb
