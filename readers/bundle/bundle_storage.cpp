// Bundle entry stores (directory: mmap; zip: libzip reads into memory) and zstd decompression.
#include "readers/bundle/bundle_storage.h"

#include <sys/stat.h>
#include <zip.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

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
  ZipStore(zip_t* za, std::string path) : za_(za), path_(std::move(path)) {}
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
        Error e = Error(ErrorCode::kInvalidFile,
                        std::string("entry truncated or corrupt: ") + zip_error_strerror(zip_file_get_error(zf)))
                      .with_path(where)
                      .with_offset(done);
        zip_fclose(zf);
        return e;
      }
      done += static_cast<uint64_t>(n);
    }
    zip_fclose(zf);
    return std::shared_ptr<const ByteSource>(std::make_shared<MemorySource>(std::move(bytes), where));
  }

  zip_t* za_;
  std::string path_;
};

}  // namespace

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
  return std::unique_ptr<BundleStore>(new ZipStore(za, path));
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
  std::vector<uint8_t> raw(raw_size);
  // One shot: the whole input is mapped already, and a too-small destination is an error, not an overrun.
  const size_t got = ZSTD_decompress(raw.data(), raw.size(), in_span.data, in_span.size);
  if (ZSTD_isError(got)) return bad(std::string("failed to decode: ") + ZSTD_getErrorName(got));
  if (got != raw_size) return bad("decodes to " + std::to_string(got) + " bytes, expected " + std::to_string(raw_size));
  auto source = std::make_shared<MemorySource>(std::move(raw), stored.path() + " (decompressed)");
  return std::shared_ptr<const ByteSource>(std::move(source));
}

}  // namespace hfb
