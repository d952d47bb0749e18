// The .imatrix file: write then read gives the same statistics; a catalogue of corrupted files, each refused
// with its error code (docs/formats/imatrix.md).
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>

#include "formats/imatrix_format.h"
#include "readers/imatrix_reader.h"
#include "writers/imatrix_writer.h"

namespace hfb {
namespace {

ImportanceMatrix sample() {
  ImportanceMatrix m;
  m.sequences = 3;
  m.tokens = 384;
  m.entries["a.weight"] = ImatrixEntry{384, {1.5, 0.0, 2.25}};
  m.entries["b.weight"] = ImatrixEntry{128, {7.0}};
  return m;
}

TEST(ImatrixFile, RoundTrip) {
  const std::string bytes = encode_imatrix(sample());
  EXPECT_EQ(bytes.size(), 48u + (4 + 8 + 8 + 8 + 3 * 8) + (4 + 8 + 8 + 8 + 8));
  auto back = parse_imatrix(bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->sequences, 3);
  EXPECT_EQ(back->tokens, 384);
  ASSERT_EQ(back->entries.size(), 2u);
  EXPECT_EQ(back->entries.at("a.weight").count, 384);
  EXPECT_EQ(back->entries.at("a.weight").sum_squares, std::vector<double>({1.5, 0.0, 2.25}));
  EXPECT_EQ(encode_imatrix(*back), bytes);  // same statistics, same bytes
}

/// Rewrites the body checksum so a corruption reaches the field checks behind it.
std::string resealed(std::string bytes);

enum class Corruption {
  kEmpty, kBadMagic, kNewerVersion, kShortHeader, kTruncatedEntry, kChecksum, kHugeCount, kZeroColumns,
  kNegativeSum, kUnsortedNames, kTrailingBytes, kEmptyName,
};

struct CorruptionCase {
  Corruption kind;
  ErrorCode code;
};

std::string corrupt(Corruption kind) {
  std::string b = encode_imatrix(sample());
  const size_t entry = kImatrixHeaderBytes;  // first entry: u32 name length, "a.weight", u64 count, u64 cols
  switch (kind) {
    case Corruption::kEmpty: return "";
    case Corruption::kBadMagic: b[0] = 'X'; return b;
    case Corruption::kNewerVersion: b[8] = 9; return b;
    case Corruption::kShortHeader: b[12] = 40; return b;
    case Corruption::kTruncatedEntry: return resealed(b.substr(0, b.size() - 3));
    case Corruption::kChecksum: b[b.size() - 1] ^= 1; return b;
    case Corruption::kHugeCount: b[16 + 7] = 0x10; return b;
    case Corruption::kZeroColumns: std::memset(&b[entry + 4 + 8 + 8], 0, 8); return resealed(b);
    case Corruption::kNegativeSum: b[entry + 4 + 8 + 8 + 8 + 7] = static_cast<char>(0xBF); return resealed(b);
    case Corruption::kUnsortedNames: b[entry + 4] = 'c'; return resealed(b);
    case Corruption::kTrailingBytes: return resealed(b + "x");
    case Corruption::kEmptyName: std::memset(&b[entry], 0, 4); return resealed(b);
  }
  return b;
}

std::string resealed(std::string bytes) {
  if (bytes.size() < kImatrixHeaderBytes) return bytes;
  const uint64_t h = XXH3_64bits(bytes.data() + kImatrixHeaderBytes, bytes.size() - kImatrixHeaderBytes);
  std::memcpy(&bytes[40], &h, 8);
  return bytes;
}

TEST(ImatrixFile, CorruptionCatalogue) {
  const CorruptionCase cases[] = {
      {Corruption::kEmpty, ErrorCode::kInvalidFile},          {Corruption::kBadMagic, ErrorCode::kInvalidFile},
      {Corruption::kNewerVersion, ErrorCode::kUnsupported},   {Corruption::kShortHeader, ErrorCode::kInvalidFile},
      {Corruption::kTruncatedEntry, ErrorCode::kInvalidFile}, {Corruption::kChecksum, ErrorCode::kInvalidFile},
      {Corruption::kHugeCount, ErrorCode::kLimit},            {Corruption::kZeroColumns, ErrorCode::kInvalidFile},
      {Corruption::kNegativeSum, ErrorCode::kInvalidFile},    {Corruption::kUnsortedNames, ErrorCode::kInvalidFile},
      {Corruption::kTrailingBytes, ErrorCode::kInvalidFile},  {Corruption::kEmptyName, ErrorCode::kInvalidFile},
  };
  for (const CorruptionCase& c : cases) {
    auto parsed = parse_imatrix(corrupt(c.kind));
    ASSERT_FALSE(parsed.ok()) << static_cast<int>(c.kind);
    EXPECT_EQ(parsed.error().code, c.code) << static_cast<int>(c.kind) << ": " << parsed.error().to_string();
  }
}

}  // namespace
}  // namespace hfb
