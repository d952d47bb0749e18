// Bundle reader corruption catalogue (after llama.cpp test-gguf.cpp): a hand-built valid bundle (written
// here from the schema, independently of the writer), one corruption per case, each with its expected
// error code; no case may crash. Also: older minor versions and unknown fields are accepted.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <xxhash.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "formats/bundle.pb.h"
#include "formats/bundle_format.h"
#include "readers/bundle/bundle_manifest.h"
#include "readers/bundle/bundle_reader.h"

namespace hfb {
namespace {

struct Scratch {
  Scratch() {
    char tmpl[] = "/tmp/hfb_bundle_corrupt_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// A valid two-tensor bundle: chunk_00.bin holds two F32 [4, 4] tensors at offsets 0 and 64.
struct HandBundle {
  bundle::Manifest manifest;
  std::map<std::string, std::string> files;

  HandBundle() {
    std::string chunk(128, '\0');
    for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i * 3);
    files["chunk_00.bin"] = chunk;
    manifest.set_magic(kBundleMagic);
    manifest.mutable_version()->set_major(kBundleFormatMajor);
    manifest.mutable_version()->set_minor(kBundleFormatMinor);
    manifest.set_alignment(64);
    bundle::File* f = manifest.add_files();
    f->set_name("chunk_00.bin");
    f->set_raw_size(chunk.size());
    f->set_stored_size(chunk.size());
    f->set_stored_xxh3(XXH3_64bits(chunk.data(), chunk.size()));
    for (int i = 0; i < 2; ++i) {
      bundle::Tensor* t = manifest.add_tensors();
      t->set_name("w" + std::to_string(i));
      t->set_role("attn_q");
      t->set_tower("text");
      t->set_dtype("F32");
      t->add_shape(4);
      t->add_shape(4);
      bundle::Segment* s = t->add_segments();
      s->set_part("data");
      s->set_file("chunk_00.bin");
      s->set_offset(64 * i);
      s->set_length(64);
      s->set_xxh3(XXH3_64bits(chunk.data() + 64 * i, 64));
    }
  }

  std::string save(const std::string& dir, const std::string* manifest_bytes = nullptr) const {
    const std::string out = dir + "/b.hfb";
    std::filesystem::create_directories(out);
    write_file(out + "/manifest.pb", manifest_bytes ? *manifest_bytes : manifest.SerializeAsString());
    for (const auto& [name, bytes] : files) write_file(out + "/" + name, bytes);
    return out;
  }
};

void compress_chunk(HandBundle& b) {
  const std::string& raw = b.files["chunk_00.bin"];
  std::string z(ZSTD_compressBound(raw.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), raw.data(), raw.size(), 3));
  b.files.erase("chunk_00.bin");
  b.files["chunk_00.bin.zst"] = z;
  bundle::File* f = b.manifest.mutable_files(0);
  f->set_name("chunk_00.bin.zst");
  f->set_compression(bundle::COMPRESSION_ZSTD);
  f->set_stored_size(z.size());
  f->set_stored_xxh3(XXH3_64bits(z.data(), z.size()));
  for (auto& t : *b.manifest.mutable_tensors()) t.mutable_segments(0)->set_file("chunk_00.bin.zst");
}

struct CorruptionCase {
  const char* name;
  ErrorCode expected;
  const char* message_part;  // a phrase the message must contain
  std::function<void(HandBundle&)> corrupt;
  BundleCheck check = BundleCheck::kStructure;
};

/// Re-labels tensor 0 (its 64 bytes kept as one segment) as a q4_0 tensor of `shape` with a "codes" part.
void as_q4_0(HandBundle& b, std::vector<int64_t> shape) {
  bundle::Tensor* t = b.manifest.mutable_tensors(0);
  t->mutable_encoding()->set_scheme("q4_0");
  t->set_dtype("BF16");
  t->clear_shape();
  for (int64_t d : shape) t->add_shape(d);
  t->mutable_segments(0)->set_part("codes");
}

std::vector<CorruptionCase> corruption_catalogue() {
  using M = HandBundle&;
  auto seg = [](M b, int t) { return b.manifest.mutable_tensors(t)->mutable_segments(0); };
  return {
      {"TruncatedChunk", ErrorCode::kInvalidFile, "truncated", [](M b) { b.files["chunk_00.bin"].resize(100); }},
      {"BadChecksum", ErrorCode::kInvalidFile, "checksum", [](M b) { b.files["chunk_00.bin"][70] ^= 1; },
       BundleCheck::kChecksums},
      {"BadSegmentChecksum", ErrorCode::kInvalidFile, "checksum",
       [&](M b) { seg(b, 1)->set_xxh3(seg(b, 1)->xxh3() + 1); }, BundleCheck::kChecksums},
      {"SegmentOutsideFile", ErrorCode::kInvalidFile, "past the file", [&](M b) { seg(b, 1)->set_offset(128); }},
      {"OffsetOverflow", ErrorCode::kInvalidFile, "past the file",
       [&](M b) { seg(b, 1)->set_offset(~uint64_t{0} - 63); }},
      {"MisalignedOffset", ErrorCode::kInvalidFile, "aligned", [&](M b) { seg(b, 1)->set_offset(32); }},
      {"LengthNotShape", ErrorCode::kInvalidFile, "expected 64", [&](M b) { seg(b, 0)->set_length(60); }},
      {"UnknownScheme", ErrorCode::kUnsupported, "scheme",
       [](M b) { b.manifest.mutable_tensors(0)->mutable_encoding()->set_scheme("q3_magic"); }},
      // Part sizes come from the scheme traits (F12): a q4_0 tensor whose codes are shorter than its shape
      // needs, and one whose shape cannot be q4_0 at all, fail at open, not at run time.
      {"Q4_0ShortCodes", ErrorCode::kInvalidFile, "codes segment is 64 bytes, expected 72", [&](M b) {
         as_q4_0(b, {4, 32});  // 4 rows x 1 block x 18 bytes
       }},
      {"Q4_0ShapeDisagreesWithBytes", ErrorCode::kInvalidFile, "multiple of 32", [&](M b) {
         as_q4_0(b, {4, 4});  // a row of 4 elements is no whole q4_0 block
       }},
      {"UnknownDtype", ErrorCode::kUnsupported, "dtype", [](M b) { b.manifest.mutable_tensors(0)->set_dtype("F8"); }},
      {"UnknownRole", ErrorCode::kUnsupported, "role", [](M b) { b.manifest.mutable_tensors(0)->set_role("x"); }},
      {"NewerMajor", ErrorCode::kUnsupported, "newer", [](M b) { b.manifest.mutable_version()->set_major(2); }},
      {"WrongMagic", ErrorCode::kInvalidFile, "magic", [](M b) { b.manifest.set_magic("gguf"); }},
      {"MissingFile", ErrorCode::kNotFound, "missing", [](M b) { b.files.clear(); }},
      {"UnknownFileInSegment", ErrorCode::kInvalidFile, "unknown data file",
       [&](M b) { seg(b, 0)->set_file("other.bin"); }},
      {"PathInFileName", ErrorCode::kInvalidFile, "bad name",
       [](M b) { b.manifest.mutable_files(0)->set_name("../chunk_00.bin"); }},
      {"DuplicateTensor", ErrorCode::kInvalidFile, "twice", [](M b) { b.manifest.mutable_tensors(1)->set_name("w0"); }},
      {"NegativeDim", ErrorCode::kInvalidFile, "negative", [](M b) { b.manifest.mutable_tensors(0)->set_shape(0, -4); }},
      {"HugeFile", ErrorCode::kLimit, "limit", [](M b) {
         b.manifest.mutable_files(0)->set_raw_size(1ull << 50);
         b.manifest.mutable_files(0)->set_stored_size(1ull << 50);
       }},
      {"CorruptZstd", ErrorCode::kInvalidFile, "zstd", [](M b) {
         compress_chunk(b);
         std::string& z = b.files["chunk_00.bin.zst"];
         z[0] ^= 0x55;  // frame magic
       }},
      {"CorruptZstdBlock", ErrorCode::kInvalidFile, "zstd", [](M b) {
         compress_chunk(b);
         std::string& z = b.files["chunk_00.bin.zst"];
         z[z.size() - 1] = static_cast<char>(0xff);  // a block header past the frame's last block
         z += std::string(4, '\x07');
         b.manifest.mutable_files(0)->set_stored_size(z.size());
       }},
      {"ZstdWrongRawSize", ErrorCode::kInvalidFile, "zstd", [](M b) {
         compress_chunk(b);
         b.manifest.mutable_files(0)->set_raw_size(192);
       }},
  };
}

TEST(BundleCorruption, ValidHandBuiltBundleOpens) {
  Scratch dir;
  for (bool zstd : {false, true}) {
    HandBundle b;
    if (zstd) compress_chunk(b);
    BundleReadOptions options;
    options.check = BundleCheck::kChecksums;
    auto bundle = Bundle::open(b.save(dir.path + (zstd ? "/z" : "/r")), options);
    ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
    ASSERT_EQ((*bundle)->tensors().size(), 2u);
    auto span = (*bundle)->tensors()[1].info.source->read((*bundle)->tensors()[1].info.offset, 64);
    ASSERT_TRUE(span.ok());
    EXPECT_EQ(span->data[0], static_cast<uint8_t>(64 * 3));
  }
}

TEST(BundleCorruption, EveryCaseFailsWithItsCode) {
  for (const CorruptionCase& c : corruption_catalogue()) {
    SCOPED_TRACE(c.name);
    Scratch dir;
    HandBundle b;
    c.corrupt(b);
    BundleReadOptions options;
    options.check = c.check;
    auto bundle = Bundle::open(b.save(dir.path), options);
    ASSERT_FALSE(bundle.ok());
    EXPECT_EQ(bundle.error().code, c.expected) << bundle.error().to_string();
    EXPECT_NE(bundle.error().to_string().find(c.message_part), std::string::npos) << bundle.error().to_string();
    EXPECT_FALSE(bundle.error().path.empty()) << "names the file";
  }
}

TEST(BundleCorruption, ChecksumsAreOnlyReadWhenAsked) {
  Scratch dir;
  HandBundle b;
  b.files["chunk_00.bin"][70] ^= 1;
  EXPECT_TRUE(Bundle::open(b.save(dir.path)).ok()) << "kStructure reads no tensor bytes";
}

TEST(BundleCorruption, GarbageAndTruncatedManifests) {
  HandBundle good;
  const std::string bytes = good.manifest.SerializeAsString();
  for (const std::string& garbage :
       {std::string("\xff\xff\xff\xff garbage", 13), bytes.substr(0, bytes.size() / 2), std::string()}) {
    Scratch dir;
    auto bundle = Bundle::open(good.save(dir.path, &garbage));
    ASSERT_FALSE(bundle.ok());
    EXPECT_EQ(bundle.error().code, ErrorCode::kInvalidFile) << bundle.error().to_string();
  }
}

TEST(BundleCorruption, NotABundleAtAll) {
  Scratch dir;
  write_file(dir.path + "/x.zip", "PK\x03\x04 not really a zip");
  auto bundle = Bundle::open(dir.path + "/x.zip");
  ASSERT_FALSE(bundle.ok());
  EXPECT_EQ(bundle.error().code, ErrorCode::kInvalidFile);
  auto missing = Bundle::open(dir.path + "/nothing.hfb");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(BundleCompatibility, OlderMinorAndUnknownFieldsAreAccepted) {
  Scratch dir;
  HandBundle b;
  b.manifest.mutable_version()->set_minor(kBundleFormatMinor + 7);  // a newer minor of our major
  std::string bytes = b.manifest.SerializeAsString();
  bytes += std::string("\xf8\x07\x2a", 3);  // field 127 (varint 42): unknown to this reader
  auto bundle = Bundle::open(b.save(dir.path, &bytes));
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  EXPECT_EQ((*bundle)->format_minor(), kBundleFormatMinor + 7);
}

}  // namespace
}  // namespace hfb
