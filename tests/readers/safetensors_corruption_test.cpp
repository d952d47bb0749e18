// Corruption catalogue for single safetensors files: each case builds bad bytes in memory and names the
// error code and the message parts (file, tensor, byte offset) the parser must report.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/byte_source.h"
#include "readers/safetensors.h"
#include "tests/readers/safetensors_test_util.h"

namespace hfb {
namespace {

using test::data_at;
using test::ExpectedError;
using test::key_at;
using test::make_safetensors;
using test::make_safetensors_raw;

enum class Corruption {
  kEmptyFile,
  kTruncatedLengthField,
  kTruncatedData,
  kHeaderPastEof,
  kHeaderLengthAbsurd,
  kBadJson,
  kHeaderNotObject,
  kHeaderNotUtf8,
  kHeaderDeepNesting,
  kEntryNotObject,
  kMissingDtype,
  kMissingShape,
  kMissingDataOffsets,
  kDtypeNotString,
  kUnknownDtype,
  kQuantizedDtype,
  kNegativeDim,
  kFractionalDim,
  kDimBeyondInt64,
  kRankAboveLimit,
  kNumelOverflow,
  kOffsetsOutOfRange,
  kOffsetsNotPair,
  kBeginAfterEnd,
  kOverlapping,
  kWrongSize,
  kGapBetweenTensors,
  kTrailingBytes,
  kDuplicateTensor,
  kDuplicateField,
  kMetadataNotStrings,
  kCount,
};

const char* corruption_name(Corruption c) {
  static const char* const kNames[] = {
      "EmptyFile",       "TruncatedLengthField", "TruncatedData",    "HeaderPastEof",    "HeaderLengthAbsurd",
      "BadJson",         "HeaderNotObject",      "HeaderNotUtf8",    "HeaderDeepNesting", "EntryNotObject",
      "MissingDtype",    "MissingShape",         "MissingDataOffsets", "DtypeNotString", "UnknownDtype",
      "QuantizedDtype",  "NegativeDim",          "FractionalDim",    "DimBeyondInt64",   "RankAboveLimit",
      "NumelOverflow",   "OffsetsOutOfRange",    "OffsetsNotPair",   "BeginAfterEnd",    "Overlapping",
      "WrongSize",       "GapBetweenTensors",    "TrailingBytes",    "DuplicateTensor",  "DuplicateField",
      "MetadataNotStrings",
  };
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(Corruption::kCount));
  return kNames[static_cast<size_t>(c)];
}

constexpr const char* kFile = "model.safetensors";

/// A corrupt file and what parsing it must say.
struct CorruptFile {
  std::vector<uint8_t> bytes;
  ExpectedError want;
};

/// A one-tensor header "w" with the given entry body.
std::string one_tensor(const std::string& body) { return "{\"w\":{" + body + "}}"; }

CorruptFile at_entry(const std::string& header, uint64_t data, ErrorCode code, std::vector<std::string> parts,
                     const std::string& tensor = "w") {
  parts.push_back(kFile);
  parts.push_back("tensor '" + tensor + "'");
  return {make_safetensors(header, data), {code, parts, kFile, tensor, key_at(header, tensor)}};
}

CorruptFile at_data(const std::string& header, uint64_t data, uint64_t begin, std::vector<std::string> parts,
                    const std::string& tensor = "w") {
  parts.push_back(kFile);
  parts.push_back("tensor '" + tensor + "'");
  return {make_safetensors(header, data), {ErrorCode::kInvalidFile, parts, kFile, tensor, data_at(header, begin)}};
}

CorruptFile framing_case(Corruption c) {
  const std::string good = one_tensor(R"("dtype":"F32","shape":[4],"data_offsets":[0,16])");
  switch (c) {
    case Corruption::kEmptyFile:
      return {{}, {ErrorCode::kInvalidFile, {kFile, "0 bytes", "too short"}, kFile, "", 0}};
    case Corruption::kTruncatedLengthField:
      return {{0x10, 0, 0, 0, 0}, {ErrorCode::kInvalidFile, {"5 bytes", "truncated"}, kFile, "", 0}};
    case Corruption::kTruncatedData:
      return {make_safetensors(good, 8),
              {ErrorCode::kInvalidFile, {"data [0, 16) exceeds data section of 8 bytes", "truncated download"},
               kFile, "w", data_at(good, 0)}};
    case Corruption::kHeaderPastEof:
      return {make_safetensors_raw(1000, good, 16),
              {ErrorCode::kInvalidFile, {"header length 1000 runs past the end", "truncated"}, kFile, "", 0}};
    case Corruption::kHeaderLengthAbsurd:
      return {make_safetensors_raw(1ull << 62, good, 16),
              {ErrorCode::kLimit, {"header length 4611686018427387904 exceeds the limit"}, kFile, "", 0}};
    case Corruption::kBadJson: {
      const std::string bad = R"({"w":{"dtype":"F32",,"shape":[4]}})";
      return {make_safetensors(bad, 16),
              {ErrorCode::kInvalidFile, {"header is not valid JSON", "parse error"}, kFile, "", 8 + bad.find(",,") + 1}};
    }
    case Corruption::kHeaderNotObject:
      return {make_safetensors("[1,2]", 0), {ErrorCode::kInvalidFile, {"must be a JSON object, got array"}, kFile, "", 8}};
    case Corruption::kHeaderNotUtf8:
      return {make_safetensors("{\"w\xff\xfe\":1}", 0), {ErrorCode::kInvalidFile, {"not valid JSON"}, kFile, "", {}}};
    case Corruption::kHeaderDeepNesting: {
      const std::string deep = R"({"w":[[[[[[[[[[1]]]]]]]]]]})";
      return {make_safetensors(deep, 0),
              {ErrorCode::kLimit, {"nests deeper than 8"}, kFile, "", 8 + deep.find('[') + 7}};
    }
    default:
      break;
  }
  return {};
}

CorruptFile entry_case(Corruption c) {
  switch (c) {
    case Corruption::kEntryNotObject:
      return at_entry(R"({"w":3})", 0, ErrorCode::kInvalidFile, {"entry must be an object", "got integer 3"});
    case Corruption::kMissingDtype:
      return at_entry(one_tensor(R"("shape":[4],"data_offsets":[0,16])"), 16, ErrorCode::kInvalidFile, {"no 'dtype'"});
    case Corruption::kMissingShape:
      return at_entry(one_tensor(R"("dtype":"F32","data_offsets":[0,16])"), 16, ErrorCode::kInvalidFile, {"no 'shape'"});
    case Corruption::kMissingDataOffsets:
      return at_entry(one_tensor(R"("dtype":"F32","shape":[4])"), 16, ErrorCode::kInvalidFile, {"no 'data_offsets'"});
    case Corruption::kDtypeNotString:
      return at_entry(one_tensor(R"("dtype":7,"shape":[4],"data_offsets":[0,16])"), 16, ErrorCode::kInvalidFile,
                      {"'dtype' must be a string, got integer 7"});
    case Corruption::kUnknownDtype:
      return at_entry(one_tensor(R"("dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4])"), 4,
                      ErrorCode::kUnsupported, {"dtype 'F8_E4M3' is not supported", "BF16"});
    case Corruption::kQuantizedDtype:  // our own block types are not safetensors dtypes
      return at_entry(one_tensor(R"("dtype":"Q4_0","shape":[32],"data_offsets":[0,18])"), 18,
                      ErrorCode::kUnsupported, {"dtype 'Q4_0' is not supported"});
    case Corruption::kNegativeDim:
      return at_entry(one_tensor(R"("dtype":"F32","shape":[-2,4],"data_offsets":[0,16])"), 16,
                      ErrorCode::kInvalidFile, {"shape[0] is negative (-2)"});
    case Corruption::kFractionalDim:
      return at_entry(one_tensor(R"("dtype":"F32","shape":[4,2.5],"data_offsets":[0,16])"), 16,
                      ErrorCode::kInvalidFile, {"shape[1] must be a non-negative integer, got number 2.5"});
    case Corruption::kDimBeyondInt64:
      return at_entry(one_tensor(R"("dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,1])"), 1,
                      ErrorCode::kLimit, {"shape[0] = 18446744073709551615 does not fit in int64"});
    case Corruption::kRankAboveLimit:
      return at_entry(one_tensor(R"("dtype":"U8","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,1])"), 1,
                      ErrorCode::kLimit, {"rank 9 exceeds the limit of 8"});
    case Corruption::kNumelOverflow:
      return at_entry(one_tensor(R"("dtype":"F32","shape":[4294967296,4294967296,2],"data_offsets":[0,16])"), 16,
                      ErrorCode::kLimit, {"byte size of F32 [4294967296, 4294967296, 2] overflows"});
    case Corruption::kOffsetsNotPair:
      return at_entry(one_tensor(R"("dtype":"F32","shape":[4],"data_offsets":[0])"), 16, ErrorCode::kInvalidFile,
                      {"'data_offsets' must be [begin, end]", "got [0]"});
    case Corruption::kBeginAfterEnd:
      return at_entry(one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[8,4])"), 16, ErrorCode::kInvalidFile,
                      {"data_offsets [8, 4) has begin > end"});
    case Corruption::kMetadataNotStrings: {
      const std::string h = R"({"__metadata__":{"format":1},"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
      return {make_safetensors(h, 1),
              {ErrorCode::kInvalidFile, {"'__metadata__' value for 'format' must be a string"}, kFile, "",
               key_at(h, "__metadata__")}};
    }
    default:
      break;
  }
  return {};
}

CorruptFile layout_case(Corruption c) {
  switch (c) {
    case Corruption::kOffsetsOutOfRange:
      return at_data(one_tensor(R"("dtype":"F32","shape":[4],"data_offsets":[1024,1040])"), 16, 1024,
                     {"data [1024, 1040) exceeds data section of 16 bytes"});
    case Corruption::kOverlapping:
      return at_data(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                     R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                     12, 4, {"data [4, 12) overlaps tensor 'a' at [0, 8)"}, "b");
    case Corruption::kWrongSize:
      return at_data(one_tensor(R"("dtype":"F32","shape":[2,2],"data_offsets":[0,12])"), 12, 0,
                     {"data span [0, 12) is 12 bytes, expected 16 (F32 [2, 2])"});
    case Corruption::kGapBetweenTensors:
      return at_data(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                     R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                     12, 8, {"4 bytes belong to no tensor"}, "b");
    case Corruption::kTrailingBytes: {
      const std::string h = one_tensor(R"("dtype":"F32","shape":[1],"data_offsets":[0,4])");
      return {make_safetensors(h, 8),
              {ErrorCode::kInvalidFile, {kFile, "data section is 8 bytes but tensors cover only 4"}, kFile, "",
               data_at(h, 4)}};
    }
    case Corruption::kDuplicateTensor: {
      const std::string h = R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                            R"("w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
      return {make_safetensors(h, 1),
              {ErrorCode::kInvalidFile, {kFile, "duplicate key 'w'"}, kFile, "", 8 + h.rfind("\"w\"")}};
    }
    case Corruption::kDuplicateField: {
      const std::string h = one_tensor(R"("dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1])");
      return {make_safetensors(h, 1),
              {ErrorCode::kInvalidFile, {"duplicate key 'dtype'"}, kFile, "", 8 + h.rfind("\"dtype\"")}};
    }
    default:
      break;
  }
  return {};
}

CorruptFile build_case(Corruption c) {
  CorruptFile f = framing_case(c);
  if (f.want.substrings.empty()) f = entry_case(c);
  if (f.want.substrings.empty()) f = layout_case(c);
  return f;
}

class SafetensorsCorruption : public ::testing::TestWithParam<Corruption> {};

TEST_P(SafetensorsCorruption, FailsWithCodeFileTensorAndOffset) {
  CorruptFile f = build_case(GetParam());
  ASSERT_FALSE(f.want.substrings.empty()) << "no builder for case " << corruption_name(GetParam());
  auto source = std::make_shared<MemorySource>(std::move(f.bytes), kFile);
  auto result = parse_safetensors(source);
  ASSERT_FALSE(result.ok()) << corruption_name(GetParam()) << " parsed";
  test::expect_error_matches(result.error(), f.want);
}

std::vector<Corruption> all_corruptions() {
  std::vector<Corruption> out;
  for (int i = 0; i < static_cast<int>(Corruption::kCount); ++i) out.push_back(static_cast<Corruption>(i));
  return out;
}

INSTANTIATE_TEST_SUITE_P(Catalogue, SafetensorsCorruption, ::testing::ValuesIn(all_corruptions()),
                         [](const ::testing::TestParamInfo<Corruption>& info) {
                           return std::string(corruption_name(info.param));
                         });

// Every prefix of a valid file is either refused with a code or (for the full file) accepted: no crash.
TEST(SafetensorsRobustness, EveryTruncationIsRefused) {
  const std::string h = R"({"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]},)"
                        R"("b":{"dtype":"I64","shape":[1],"data_offsets":[12,20]}})";
  const std::vector<uint8_t> full = make_safetensors(h, 20);
  for (size_t n = 0; n < full.size(); ++n) {
    auto src = std::make_shared<MemorySource>(std::vector<uint8_t>(full.begin(), full.begin() + n), kFile);
    auto r = parse_safetensors(src);
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes parsed";
    EXPECT_EQ(r.error().path, kFile);
  }
  EXPECT_TRUE(parse_safetensors(std::make_shared<MemorySource>(full, kFile)).ok());
}

// Flipping any single byte of the header must never crash; the parser may accept or refuse.
TEST(SafetensorsRobustness, ByteFlipsNeverCrash) {
  const std::string h = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::vector<uint8_t> full = make_safetensors(h, 8);
  int refused = 0;
  for (size_t i = 0; i < 8 + h.size(); ++i) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0x22}, uint8_t{0x7B}, uint8_t{0xFF}}) {
      std::vector<uint8_t> bytes = full;
      bytes[i] = v;
      auto r = parse_safetensors(std::make_shared<MemorySource>(std::move(bytes), kFile));
      if (!r.ok()) {
        ++refused;
        EXPECT_FALSE(r.error().message.empty());
      }
    }
  }
  EXPECT_GT(refused, 100);
}

TEST(SafetensorsRobustness, TensorCountLimit) {
  const std::string h = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                        R"("b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})";
  SafetensorsLimits limits;
  limits.max_tensors = 1;
  auto r = parse_safetensors(std::make_shared<MemorySource>(make_safetensors(h, 2), kFile), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kLimit);
  EXPECT_NE(r.error().message.find("more than the limit of 1"), std::string::npos) << r.error().to_string();
}

}  // namespace
}  // namespace hfb
