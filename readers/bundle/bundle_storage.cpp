// Bundle entry stores (directory: mmap; zip: libzip reads into memory) and zstd decompression.
#include "readers/bundle/bundle_storage.h"

#include <sys/stat.h>
#include <zip.h>
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

class ZipStore final : public BundleStore {
 public:
  ZipStore(zip_t* za, std::string path, uint64_t archive_bytes)
      : za_(za), path_(std::move(path)), archive_bytes_(archive_bytes) {}
  ~ZipStore() override { zip_discard(za_); }
  ZipStore(const ZipStore&) = delete;
  ZipStore& operator=(const ZipStore&) = delete;

  Result<std::shared_ptr<const ByteSource>> open_entry(const std::string& name, uint64_t max_bytes) const override {
    const std::string where = path_ + ":" + name;
    const zip_int64_t index = zip_name_locate(za_, name.c_str(), 0);
    if (index < 0) return Error(ErrorCode::kNotFound, "zip has no entry '" + name + "'").with_path(path_);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za_, static_cast<zip_uint64_t>(index), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
      return Error(ErrorCode::kInvalidFile, std::string("cannot stat entry: ") + zip_strerror(za_)).with_path(where);
    }
    if (st.size > max_bytes) {
      return Error(ErrorCode::kLimit, std::to_string(st.size) + " bytes exceed the limit of " +
                                          std::to_string(max_bytes)).with_path(where);
    }
    // The format stores entries uncompressed: a deflated entry (a zip bomb) or sizes that disagree are refused
    // before anything is allocated, so an entry never takes more memory than the zip file's own size.
    if (!(st.valid & ZIP_STAT_COMP_METHOD) || st.comp_method != ZIP_CM_STORE) {
      return Error(ErrorCode::kInvalidFile, "entry is compressed (method " + std::to_string(st.comp_method) +
                                                "); bundle zips store entries uncompressed").with_path(where);
    }
    if (!(st.valid & ZIP_STAT_COMP_SIZE) || st.comp_size != st.size || st.size > archive_bytes_) {
      return Error(ErrorCode::kInvalidFile, "entry declares " + std::to_string(st.size) + " bytes (stored " +
                                                std::to_string(st.comp_size) + ") in a zip of " +
                                                std::to_string(archive_bytes_) + " bytes (corrupt zip?)").with_path(where);
    }
    return read_entry(static_cast<zip_uint64_t>(index), st.size, where);
  }

 private:
  Result<std::shared_ptr<const ByteSource>> read_entry(zip_uint64_t index, uint64_t size,
                                                       const std::string& where) const {
    zip_file_t* zf = zip_fopen_index(za_, index, 0);
    if (zf == nullptr) {
      return Error(ErrorCode::kInvalidFile, std::string("cannot open entry: ") + zip_strerror(za_)).with_path(where);
    }
    std::vector<uint8_t> bytes(size);
    uint64_t done = 0;
    while (done < size) {
      const zip_int64_t n = zip_fread(zf, bytes.data() + done, size - done);
      if (n <= 0) {
        const bool crc = n < 0 && zip_error_code_zip(zip_file_get_error(zf)) == ZIP_ER_CRC;
        Error e = Error(crc ? ErrorCode::kCheckFailed : ErrorCode::kInvalidFile,
                        n == 0 ? std::string("entry ends after ") + std::to_string(done) + " of its " +
                                     std::to_string(size) + " declared bytes (truncated or corrupt zip?)"
                               : std::string("entry truncated or corrupt: ") + zip_error_strerror(zip_file_get_error(zf)))
                      .with_path(where)
                      .with_offset(done);
        zip_fclose(zf);
        return e;
      }
      done += static_cast<uint64_t>(n);
    }
    // Reading on to the end makes libzip compare the entry's CRC-32 (it checks only at end of data).
    uint8_t extra = 0;
    const zip_int64_t tail = zip_fread(zf, &extra, 1);
    if (tail != 0) {
      Error e = Error(tail < 0 ? ErrorCode::kCheckFailed : ErrorCode::kInvalidFile,
                      tail < 0 ? std::string("entry fails its CRC-32 check (corrupt zip?): ") +
                                     zip_error_strerror(zip_file_get_error(zf))
                               : std::string("entry is longer than its declared size (corrupt zip?)"))
                    .with_path(where);
      zip_fclose(zf);
      return e;
    }
    zip_fclose(zf);
    return std::shared_ptr<const ByteSource>(std::make_shared<MemorySource>(std::move(bytes), where));
  }

  zip_t* za_;
  std::string path_;
  uint64_t archive_bytes_;
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
  int err = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (za == nullptr) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    Error e = Error(ErrorCode::kInvalidFile, std::string("not a bundle directory or a readable zip: ") +
                                                 zip_error_strerror(&ze)).with_path(path);
    zip_error_fini(&ze);
    return e;
  }
  return std::unique_ptr<BundleStore>(new ZipStore(za, path, static_cast<uint64_t>(st.st_size)));
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
