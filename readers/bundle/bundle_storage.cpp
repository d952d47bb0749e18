// Bundle entry stores (directory: mmap; zip: bundle_zip.cpp) and zstd decompression.
#include "readers/bundle/bundle_storage.h"

#include <sys/stat.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <vector>

#include "core/checked_math.h"
#include "core/limits.h"

namespace hfb {
namespace {

class DirStore final : public BundleStore {
 public:
  explicit DirStore(std::string dir) : dir_(std::move(dir)) {}
  Result<std::shared_ptr<const ByteSource>> open_entry(const std::string& name, uint64_t max_bytes) const override {
    const std::string path = dir_ + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      return Error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                   std::string("bundle file missing: ") + std::strerror(errno)).with_path(path);
    }
    if (!S_ISREG(st.st_mode)) {
      return Error(ErrorCode::kInvalidFile, "not a regular file (symlinks are refused)").with_path(path);
    }
    if (static_cast<uint64_t>(st.st_size) > max_bytes) {
      return Error(ErrorCode::kLimit, std::to_string(st.st_size) + " bytes exceed the limit of " +
                                          std::to_string(max_bytes)).with_path(path);
    }
    HFB_TRY(auto file, MmapFile::open(path));
    return std::shared_ptr<const ByteSource>(std::move(file));
  }

 private:
  std::string dir_;
};

/// Streams the frame into a buffer that grows with the output actually produced, never past `raw_size`:
/// a size lie costs only what the data really decodes to.
template <typename Bad>
Result<std::vector<uint8_t>> decompress_stream(ByteSpan in_span, uint64_t raw_size, const Bad& bad) {
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> stream(ZSTD_createDStream(), ZSTD_freeDStream);
  if (!stream) throw std::bad_alloc();
  std::vector<uint8_t> raw;
  ZSTD_inBuffer in{in_span.data, in_span.size, 0};
  uint64_t produced = 0;
  size_t pending = 1;  // ZSTD_decompressStream's hint: 0 once the frame is complete (checksum verified)
  while (pending != 0 && produced < raw_size) {
    if (produced == raw.size()) {
      raw.resize(static_cast<size_t>(std::min<uint64_t>(raw_size, std::max<uint64_t>(1u << 20, produced * 2))));
    }
    ZSTD_outBuffer out{raw.data() + produced, raw.size() - produced, 0};
    pending = ZSTD_decompressStream(stream.get(), &out, &in);
    if (ZSTD_isError(pending)) return bad(std::string("failed to decode: ") + ZSTD_getErrorName(pending));
    produced += out.pos;
    if (pending != 0 && in.pos == in.size && out.pos < out.size) break;  // input exhausted mid-frame
  }
  while (pending != 0 && produced == raw_size) {  // output full: the rest of the frame must produce nothing
    uint8_t probe = 0;
    ZSTD_outBuffer out{&probe, 1, 0};
    const size_t before = in.pos;
    pending = ZSTD_decompressStream(stream.get(), &out, &in);
    if (ZSTD_isError(pending)) return bad(std::string("failed to decode: ") + ZSTD_getErrorName(pending));
    if (out.pos > 0) return bad("decodes to more than the manifest's " + std::to_string(raw_size) + " bytes");
    if (pending != 0 && in.pos == before) break;
  }
  if (produced != raw_size) {
    return bad("decodes to " + std::to_string(produced) + " bytes, expected " + std::to_string(raw_size));
  }
  if (pending != 0) return bad("ends mid-frame");
  if (in.pos != in.size) return bad("has " + std::to_string(in.size - in.pos) + " bytes after its frame");
  return raw;
}

}  // namespace

Status check_zstd_ratio(uint64_t stored_size, uint64_t raw_size, const std::string& path) {
  const uint64_t ratio = limits().max_compression_ratio;
  const uint64_t slack = 1u << 20;  // small files of zeros compress far better than any ratio
  const auto bound = checked_add(checked_mul(stored_size, ratio).value_or(UINT64_MAX), slack);
  if (raw_size > limits().max_file_bytes || raw_size > bound.value_or(UINT64_MAX)) {
    return Error(ErrorCode::kLimit, "raw size " + std::to_string(raw_size) + " for " + std::to_string(stored_size) +
                                        " stored bytes is above the limit (raw <= stored x " + std::to_string(ratio) +
                                        " + 1 MiB and <= " + std::to_string(limits().max_file_bytes) +
                                        "; --limit compression_ratio=N / file_bytes=N raise it)")
        .with_path(path);
  }
  return ok_status();
}

Result<std::unique_ptr<BundleStore>> open_bundle_store(const std::string& path, bool* is_zip) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                 std::string("cannot open bundle: ") + std::strerror(errno)).with_path(path);
  }
  *is_zip = !S_ISDIR(st.st_mode);
  if (!*is_zip) return std::unique_ptr<BundleStore>(new DirStore(path));
  return open_zip_store(path, static_cast<uint64_t>(st.st_size));
}

Result<std::shared_ptr<const ByteSource>> decompress_zstd_source(const ByteSource& stored, uint64_t raw_size) {
  HFB_TRY(ByteSpan in_span, stored.read(0, stored.size()));
  const auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidFile, "zstd data " + why + " (corrupt or truncated file?)")
        .with_path(stored.path());
  };
  const unsigned long long declared = ZSTD_getFrameContentSize(in_span.data, in_span.size);
  if (declared == ZSTD_CONTENTSIZE_ERROR) return bad("has no valid frame header");
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != raw_size) {
    return bad("declares " + std::to_string(declared) + " bytes, manifest says " + std::to_string(raw_size));
  }
  HFB_TRY(check_zstd_ratio(stored.size(), raw_size, stored.path()));
  HFB_TRY(std::vector<uint8_t> raw, decompress_stream(in_span, raw_size, bad));
  HFB_TRY(stored.check_intact());
  auto source = std::make_shared<MemorySource>(std::move(raw), stored.path() + " (decompressed)");
  return std::shared_ptr<const ByteSource>(std::move(source));
}

}  // namespace hfb
