// open_direct_file_sink: exact bytes and size for any write pattern, O_EXCL, errors naming the path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/writers/bundle_test_util.h"
#include "writers/convert_direct_sink.h"

namespace hfb {
namespace {

using testing::ScratchDir;

std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7 + (i >> 9)) & 0xFF);
  return s;
}

// Pieces of odd sizes and addresses, across several staging buffers, with a partial last block.
TEST(ConvertDirectSink, WritesExactlyTheBytesGivenForAnyPieceSizes) {
  ScratchDir dir;
  const std::vector<size_t> pieces = {1, 4095, 4097, 3, kDirectSinkBufferBytes - 1, 2 * kDirectSinkBufferBytes + 17,
                                      0, 5000, 64};
  std::string expected;
  {
    auto sink = open_direct_file_sink(dir / "data.bin");
    ASSERT_TRUE(sink.ok()) << sink.error().to_string();
    for (size_t i = 0; i < pieces.size(); ++i) {
      const std::string bytes = pattern(pieces[i] + 1, static_cast<unsigned>(i)).substr(1);  // odd address
      ASSERT_TRUE((*sink)->write(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).ok());
      expected += bytes;
    }
    ASSERT_TRUE((*sink)->close().ok());
  }
  const std::string got = testing::read_all(dir / "data.bin");
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

// Two open sinks written in turn (sharing the pooled buffers), many small pieces each.
TEST(ConvertDirectSink, InterleavedSinksKeepTheirOwnBytes) {
  ScratchDir dir;
  auto a = open_direct_file_sink(dir / "a.bin");
  auto b = open_direct_file_sink(dir / "b.bin");
  ASSERT_TRUE(a.ok() && b.ok());
  std::string expect_a, expect_b;
  for (unsigned i = 0; i < 300; ++i) {
    const std::string pa = pattern(100 + i * 37, i), pb = pattern(4096 + i, i + 1000);
    ASSERT_TRUE((*a)->write(reinterpret_cast<const uint8_t*>(pa.data()), pa.size()).ok());
    ASSERT_TRUE((*b)->write(reinterpret_cast<const uint8_t*>(pb.data()), pb.size()).ok());
    expect_a += pa;
    expect_b += pb;
  }
  ASSERT_TRUE((*a)->close().ok());
  ASSERT_TRUE((*b)->close().ok());
  EXPECT_TRUE(testing::read_all(dir / "a.bin") == expect_a);
  EXPECT_TRUE(testing::read_all(dir / "b.bin") == expect_b);
}

TEST(ConvertDirectSink, AlignedAndEmptyFilesKeepTheirSize) {
  ScratchDir dir;
  for (size_t n : {size_t{0}, size_t{4096}, static_cast<size_t>(kDirectSinkBufferBytes)}) {
    const std::string path = dir / ("f" + std::to_string(n));
    auto sink = open_direct_file_sink(path);
    ASSERT_TRUE(sink.ok());
    const std::string bytes = pattern(n, 1);
    ASSERT_TRUE((*sink)->write(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).ok());
    ASSERT_TRUE((*sink)->close().ok());
    EXPECT_TRUE(testing::read_all(path) == bytes) << n;
  }
}

TEST(ConvertDirectSink, ExistingFileOrMissingDirectoryIsAnIoErrorNamingThePath) {
  ScratchDir dir;
  testing::write_all(dir / "taken.bin", "x");
  auto taken = open_direct_file_sink(dir / "taken.bin");
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, ErrorCode::kIo);
  EXPECT_NE(taken.error().to_string().find("taken.bin"), std::string::npos) << taken.error().to_string();
  auto missing = open_direct_file_sink(dir / "no/such/dir.bin");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find("no/such/dir.bin"), std::string::npos);
  EXPECT_EQ(testing::read_all(dir / "taken.bin"), "x");
}

}  // namespace
}  // namespace hfb
