// Streamed zstd in the bundle writer: compressed bytes reach the .zst file while tensors are appended (no raw
// copy on disk), output is byte-identical across runs in one checked frame, bundles read back the same bytes
// as uncompressed ones, and a full disk mid-append names the file and leaves nothing behind.
#include <gtest/gtest.h>
#include <xxhash.h>
#include <zstd.h>

#include <cstring>
#include <functional>
#include <map>

#include "formats/bundle.pb.h"
#include "readers/bundle/bundle_reader.h"
#include "tests/writers/bundle_test_util.h"
#include "writers/bundle_writer.h"

namespace hfb {
namespace {

using testing::ScratchDir;

constexpr size_t kRowBlock = 64 * 1024;
constexpr int64_t kBigRows = 48;  // 48 row blocks: 3 MiB, several zstd blocks and output buffers

/// What the writer's sinks saw: paths in opening order and bytes written to each so far.
struct SinkLog {
  std::vector<std::string> opened;
  std::map<std::string, uint64_t> written;
  int64_t budget = -1;  ///< >= 0: fail like a full disk once this many bytes were written in total
};

class LoggingSink final : public WriteSink {
 public:
  LoggingSink(std::unique_ptr<WriteSink> inner, std::string path, std::shared_ptr<SinkLog> log)
      : inner_(std::move(inner)), path_(std::move(path)), log_(std::move(log)) {}
  Status write(const uint8_t* data, uint64_t size) override {
    if (log_->budget >= 0) {
      if (static_cast<int64_t>(size) > log_->budget) {
        return Error(ErrorCode::kIo, "write failed: No space left on device (injected)").with_path(path_);
      }
      log_->budget -= static_cast<int64_t>(size);
    }
    log_->written[path_] += size;
    return inner_->write(data, size);
  }
  Status close() override { return inner_->close(); }

 private:
  std::unique_ptr<WriteSink> inner_;
  std::string path_;
  std::shared_ptr<SinkLog> log_;
};

SinkFactory logging(std::shared_ptr<SinkLog> log) {
  return [log](const std::string& path) -> Result<std::unique_ptr<WriteSink>> {
    log->opened.push_back(path);
    HFB_TRY(auto inner, open_file_sink(path));
    return std::unique_ptr<WriteSink>(new LoggingSink(std::move(inner), path, log));
  };
}

// Noisy bytes with 4 bits of entropy each: zstd roughly halves them, and no two runs of them repeat.
std::vector<uint8_t> noisy_bytes(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    v[i] = static_cast<uint8_t>(0x30 + (x >> 28));
  }
  return v;
}

struct Sample {
  std::string name, file;
  DType dtype;
  Shape shape;
  std::vector<uint8_t> bytes;
};

// Odd-sized tensors around a big one, so data files hold alignment padding between segments.
std::vector<Sample> samples() {
  std::vector<Sample> v;
  v.push_back({"small_a", "chunk_00.bin", DTypeId::kI8, Shape{7, 13}, noisy_bytes(91, 1)});
  v.push_back({"big", "chunk_00.bin", DTypeId::kU8, Shape{kBigRows, int64_t(kRowBlock)},
               noisy_bytes(kBigRows * kRowBlock, 2)});
  v.push_back({"small_b", "chunk_00.bin", DTypeId::kI8, Shape{3, 5}, noisy_bytes(15, 3)});
  v.push_back({"mid", "chunk_01.bin", DTypeId::kU8, Shape{3, 1000}, noisy_bytes(3000, 4)});
  return v;
}

// Writes samples() in row blocks of kRowBlock bytes; `after_block(tensor, i)` runs after each append.
Result<std::string> write_samples(const std::string& out, BundleWriterOptions options,
                                  const std::function<void(const std::string&, size_t)>& after_block = {}) {
  HFB_TRY(auto writer, BundleWriter::create(out, std::move(options)));
  HFB_TRY(writer->add_file("chunk_00.bin", BundleFileKind::kChunk));
  HFB_TRY(writer->add_file("chunk_01.bin", BundleFileKind::kChunk));
  for (const Sample& s : samples()) {
    BundleTensorMeta meta;
    meta.name = s.name;
    meta.dtype = s.dtype;
    meta.shape = s.shape;
    HFB_TRY(writer->begin_tensor(meta));
    HFB_TRY(writer->begin_segment("data", s.file));
    for (size_t i = 0; i < s.bytes.size(); i += kRowBlock) {
      HFB_TRY(writer->append(ByteSpan{s.bytes.data() + i, std::min(kRowBlock, s.bytes.size() - i)}));
      if (after_block) after_block(s.name, i / kRowBlock);
    }
    HFB_TRY(writer->end_segment());
    HFB_TRY(writer->end_tensor());
  }
  return writer->finish();
}

std::string temp_dir_of(const ScratchDir& dir) {
  for (const std::string& n : testing::list_dir(dir.path())) {
    if (n.rfind("out.hfb.tmp-", 0) == 0) return dir / n;
  }
  return "";
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

TEST(BundleZstdStream, RawDataFileNeverTouchesDisk) {
  ScratchDir dir;
  auto log = std::make_shared<SinkLog>();
  BundleWriterOptions options;
  options.zstd_level = 3;
  options.sink_factory = logging(log);
  std::vector<std::string> listing;
  uint64_t compressed_mid_write = 0;
  auto written = write_samples(dir / "out.hfb", options, [&](const std::string& tensor, size_t block) {
    if (tensor != "big" || block != 40) return;
    listing = testing::list_dir(temp_dir_of(dir));
    compressed_mid_write = log->written[temp_dir_of(dir) + "/chunk_00.bin.zst"];
  });
  ASSERT_TRUE(written.ok()) << written.error().to_string();
  EXPECT_EQ(listing, (std::vector<std::string>{"chunk_00.bin.zst", "chunk_01.bin.zst"}))
      << "mid-write, the temp directory holds the compressed files only";
  EXPECT_GT(compressed_mid_write, 0u) << "compressed bytes reach the file while tensors are appended";
  EXPECT_LT(compressed_mid_write, 41 * kRowBlock);
  for (const std::string& path : log->opened) {
    EXPECT_TRUE(ends_with(path, ".zst") || ends_with(path, "/manifest.pb")) << "opened " << path;
  }
  auto bundle = Bundle::open(dir / "out.hfb");
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  const bundle::File& f = (*bundle)->manifest().files(0);
  ASSERT_EQ(f.name(), "chunk_00.bin.zst");
  EXPECT_EQ(f.raw_size(), 128 + kBigRows * kRowBlock + 15);
  EXPECT_LT(f.stored_size(), f.raw_size() * 3 / 4);
  EXPECT_EQ(f.stored_size(), testing::read_all(dir / "out.hfb/chunk_00.bin.zst").size());
  uint64_t total = 0;
  for (const auto& [path, bytes] : log->written) {
    if (ends_with(path, "chunk_00.bin.zst")) total += bytes;
  }
  EXPECT_EQ(total, f.stored_size()) << "the only bytes written for chunk_00 are the stored ones";
}

TEST(BundleZstdStream, ByteIdenticalAcrossRunsInOneCheckedFrame) {
  ScratchDir dir;
  BundleWriterOptions options;
  options.zstd_level = 3;
  ASSERT_TRUE(write_samples(dir / "a.hfb", options).ok());
  ASSERT_TRUE(write_samples(dir / "b.hfb", options).ok());
  const auto names = testing::list_dir(dir / "a.hfb");
  ASSERT_EQ(names, (std::vector<std::string>{"chunk_00.bin.zst", "chunk_01.bin.zst", "manifest.pb"}));
  ASSERT_EQ(names, testing::list_dir(dir / "b.hfb"));
  for (const std::string& n : names) {
    const std::string a = testing::read_all(dir / ("a.hfb/" + n));
    EXPECT_TRUE(a == testing::read_all(dir / ("b.hfb/" + n))) << n << " differs between runs";
    if (!ends_with(n, ".zst")) continue;
    ASSERT_GT(a.size(), 5u);
    uint32_t magic = 0;
    std::memcpy(&magic, a.data(), 4);
    EXPECT_EQ(magic, ZSTD_MAGICNUMBER) << n;
    EXPECT_EQ((static_cast<uint8_t>(a[4]) >> 2) & 1, 1) << n << ": frame header descriptor has the checksum flag";
    EXPECT_EQ(ZSTD_findFrameCompressedSize(a.data(), a.size()), a.size()) << n << " is exactly one frame";
  }
}

void expect_same_file(const Bundle& raw, const Bundle& zst, const std::string& name) {
  auto a = raw.file(name);
  auto b = zst.file(name + ".zst");
  ASSERT_TRUE(a.ok() && b.ok()) << name;
  ASSERT_EQ((*a)->size(), (*b)->size()) << name;
  auto sa = (*a)->read(0, (*a)->size());
  auto sb = (*b)->read(0, (*b)->size());
  ASSERT_TRUE(sa.ok() && sb.ok()) << name;
  EXPECT_EQ(std::memcmp(sa->data, sb->data, sa->size), 0) << name << ": raw bytes differ, padding included";
}

TEST(BundleZstdStream, ReadsBackTheSameBytesAsTheRawBundle) {
  ScratchDir dir;
  ASSERT_TRUE(write_samples(dir / "raw.hfb", {}).ok());
  BundleReadOptions read_options;
  read_options.check = BundleCheck::kChecksums;
  auto raw = Bundle::open(dir / "raw.hfb", read_options);
  ASSERT_TRUE(raw.ok()) << raw.error().to_string();
  for (int level : {1, 3}) {
    BundleWriterOptions options;
    options.zstd_level = level;
    const std::string out = dir / ("z" + std::to_string(level) + ".hfb");
    ASSERT_TRUE(write_samples(out, options).ok());
    auto zst = Bundle::open(out, read_options);
    ASSERT_TRUE(zst.ok()) << zst.error().to_string();
    for (const Sample& s : samples()) {
      const BundleTensor* a = (*raw)->find(s.name);
      const BundleTensor* b = (*zst)->find(s.name);
      ASSERT_TRUE(a != nullptr && b != nullptr) << s.name;
      const BundleSegmentView& sa = *a->segment("data");
      const BundleSegmentView& sb = *b->segment("data");
      EXPECT_EQ(sb.file, s.file + ".zst");
      EXPECT_EQ(sa.offset, sb.offset) << s.name << ": offsets index the raw bytes";
      EXPECT_EQ(sa.length, sb.length) << s.name;
      EXPECT_EQ(sa.xxh3, sb.xxh3) << s.name;
      auto bytes = sb.source->read(sb.offset, sb.length);
      ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
      ASSERT_EQ(bytes->size, s.bytes.size());
      EXPECT_EQ(std::memcmp(bytes->data, s.bytes.data(), s.bytes.size()), 0) << s.name;
    }
    expect_same_file(**raw, **zst, "chunk_00.bin");
    expect_same_file(**raw, **zst, "chunk_01.bin");
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ((*raw)->manifest().files(i).raw_size(), (*zst)->manifest().files(i).raw_size());
      EXPECT_EQ((*zst)->manifest().files(i).zstd_level(), level);
    }
  }
}

TEST(BundleZstdStream, FullDiskMidAppendNamesTheFileAndLeavesNoDebris) {
  ScratchDir dir;
  auto log = std::make_shared<SinkLog>();
  log->budget = 256 * 1024;  // about a third of the first file's compressed bytes
  BundleWriterOptions options;
  options.zstd_level = 3;
  options.sink_factory = logging(log);
  size_t last_block = 0;
  auto written = write_samples(dir / "out.hfb", options, [&](const std::string& tensor, size_t block) {
    if (tensor == "big") last_block = block;
  });
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, ErrorCode::kIo);
  EXPECT_TRUE(ends_with(written.error().path, "/chunk_00.bin.zst")) << written.error().to_string();
  EXPECT_NE(written.error().path.find("out.hfb.tmp-"), std::string::npos);
  EXPECT_LT(last_block, size_t(kBigRows - 1)) << "failed during the appends, not at close";
  EXPECT_TRUE(testing::list_dir(dir.path()).empty()) << "debris: " << testing::list_dir(dir.path()).size();
}

// An in-memory sink for ZstdSink on its own.
class StringSink final : public WriteSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  Status write(const uint8_t* data, uint64_t size) override {
    out_->append(reinterpret_cast<const char*>(data), size);
    return ok_status();
  }
  Status close() override { return ok_status(); }

 private:
  std::string* out_;
};

std::string compress_in_pieces(const std::vector<uint8_t>& bytes, size_t piece) {
  std::string out;
  auto sink = ZstdSink::create(std::make_unique<StringSink>(&out), "mem.zst", 3);
  EXPECT_TRUE(sink.ok());
  for (size_t i = 0; i < bytes.size(); i += piece) {
    EXPECT_TRUE((*sink)->write(bytes.data() + i, std::min(piece, bytes.size() - i)).ok());
  }
  EXPECT_TRUE((*sink)->close().ok());
  EXPECT_EQ((*sink)->stored().size, out.size());
  EXPECT_EQ((*sink)->stored().xxh3, XXH3_64bits(out.data(), out.size()));
  return out;
}

TEST(ZstdSink, OutputDoesNotDependOnHowTheInputIsCut) {
  const auto bytes = noisy_bytes(600 * 1000, 9);
  const std::string whole = compress_in_pieces(bytes, bytes.size());
  EXPECT_TRUE(compress_in_pieces(bytes, 4097) == whole);
  EXPECT_TRUE(compress_in_pieces(bytes, 1 << 20) == whole);
  std::vector<uint8_t> back(bytes.size());
  EXPECT_EQ(ZSTD_decompress(back.data(), back.size(), whole.data(), whole.size()), bytes.size());
  EXPECT_TRUE(back == bytes);
}

TEST(ZstdSink, RejectsLevelsOutsideZstdRange) {
  std::string out;
  for (int level : {0, -1, ZSTD_maxCLevel() + 1}) {
    auto sink = ZstdSink::create(std::make_unique<StringSink>(&out), "mem.zst", level);
    ASSERT_FALSE(sink.ok()) << level;
    EXPECT_EQ(sink.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(sink.error().path, "mem.zst");
  }
}

}  // namespace
}  // namespace hfb
