// Zip bundles: entries are stored (never deflated), so each one is mapped in place as a window of the mapped
// zip file; every entry's CRC-32 is still checked (streamed through libzip, nothing held). An entry whose data
// is not 64-byte aligned (zips of older writers) or a zip whose local headers cannot be walked (data
// descriptors, entries out of order) is read into memory instead.
#include <zip.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/checked_math.h"
#include "formats/bundle_format.h"
#include "readers/bundle/bundle_storage.h"

namespace hfb {
namespace {

/// Bytes [offset, offset + size) of the mapped zip: one entry's data, under the name "ZIP:ENTRY".
class ZipEntrySource final : public ByteSource {
 public:
  ZipEntrySource(std::shared_ptr<const ByteSource> zip, uint64_t offset, uint64_t size, std::string path)
      : zip_(std::move(zip)), offset_(offset), size_(size), path_(std::move(path)) {}
  uint64_t size() const override { return size_; }
  const std::string& path() const override { return path_; }
  Result<ByteSpan> read(uint64_t offset, uint64_t size) const override {
    const auto end = checked_add(offset, size);
    if (!end || *end > size_) {
      return Error(ErrorCode::kInvalidFile, "read of " + std::to_string(size) + " bytes at offset " +
                                                std::to_string(offset) + " is past the end of the entry (" +
                                                std::to_string(size_) + " bytes)")
          .with_path(path_)
          .with_offset(offset);
    }
    return zip_->read(offset_ + offset, size);
  }
  void release(uint64_t offset, uint64_t size) const override {
    if (offset < size_) zip_->release(offset_ + offset, std::min(size, size_ - offset));
  }
  Status check_intact() const override { return zip_->check_intact(); }

 private:
  std::shared_ptr<const ByteSource> zip_;
  uint64_t offset_;
  uint64_t size_;
  std::string path_;
};

uint32_t read_le(const uint8_t* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

/// The data offset of every entry, in index order, found by walking the local headers from offset 0 as libzip
/// writes them (each entry's header, name and extra field, then its stored bytes; no data descriptor). Empty
/// when the file is laid out any other way: a header where none is expected, another name, a data descriptor.
std::vector<uint64_t> walk_local_headers(zip_t* za, const ByteSource& file) {
  constexpr uint32_t kLocalHeader = 0x04034b50;
  constexpr uint64_t kHeaderBytes = 30;
  const zip_int64_t entries = zip_get_num_entries(za, 0);
  std::vector<uint64_t> offsets;
  uint64_t at = 0;
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    const char* name = zip_get_name(za, static_cast<zip_uint64_t>(i), 0);
    if (name == nullptr || zip_stat_index(za, static_cast<zip_uint64_t>(i), 0, &st) != 0 ||
        !(st.valid & ZIP_STAT_COMP_SIZE)) {
      return {};
    }
    auto header = file.read(at, kHeaderBytes);
    if (!header.ok() || read_le(header->data, 4) != kLocalHeader || (read_le(header->data + 6, 2) & 0x8) != 0) {
      return {};
    }
    const uint64_t name_bytes = read_le(header->data + 26, 2), extra_bytes = read_le(header->data + 28, 2);
    auto stored_name = file.read(at + kHeaderBytes, name_bytes);
    if (!stored_name.ok() || name_bytes != std::strlen(name) || std::memcmp(stored_name->data, name, name_bytes) != 0) {
      return {};
    }
    const uint64_t data = at + kHeaderBytes + name_bytes + extra_bytes;
    const auto end = checked_add(data, st.comp_size);
    if (!end || *end > file.size()) return {};
    offsets.push_back(data);
    at = *end;
  }
  return offsets;
}

class ZipStore final : public BundleStore {
 public:
  ZipStore(zip_t* za, std::string path, uint64_t archive_bytes, std::shared_ptr<const ByteSource> mapped)
      : za_(za), path_(std::move(path)), archive_bytes_(archive_bytes), mapped_(std::move(mapped)) {
    if (mapped_) offsets_ = walk_local_headers(za_, *mapped_);
  }
  ~ZipStore() override { zip_discard(za_); }
  ZipStore(const ZipStore&) = delete;
  ZipStore& operator=(const ZipStore&) = delete;

  uint64_t bytes_copied() const override { return bytes_copied_; }

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
    const auto i = static_cast<zip_uint64_t>(index);
    // Mapped when the walk found the entry and its data sits on the alignment directory bundles give their files
    // (the writer pads every entry so): segments are then as aligned as in a directory bundle.
    if (i >= offsets_.size() || offsets_[i] % kBundleAlignment != 0) {
      std::vector<uint8_t> bytes(st.size);
      HFB_TRY(read_entry(i, st.size, where, bytes.data()));
      bytes_copied_ += st.size;
      return std::shared_ptr<const ByteSource>(std::make_shared<MemorySource>(std::move(bytes), where));
    }
    HFB_TRY(read_entry(i, st.size, where, nullptr));  // the CRC-32 check; the bytes are mapped below
    auto source = std::make_shared<ZipEntrySource>(mapped_, offsets_[i], st.size, where);
    return std::shared_ptr<const ByteSource>(std::move(source));
  }

 private:
  /// Reads entry `index` through libzip into `dest` (or, when null, through a small buffer, for its CRC-32 only).
  Status read_entry(zip_uint64_t index, uint64_t size, const std::string& where, uint8_t* dest) const {
    zip_file_t* zf = zip_fopen_index(za_, index, 0);
    if (zf == nullptr) {
      return Error(ErrorCode::kInvalidFile, std::string("cannot open entry: ") + zip_strerror(za_)).with_path(where);
    }
    std::vector<uint8_t> scratch(dest ? 0 : std::min<uint64_t>(size, 1u << 20));
    uint64_t done = 0;
    while (done < size) {
      const uint64_t want = dest ? size - done : std::min<uint64_t>(scratch.size(), size - done);
      const zip_int64_t n = zip_fread(zf, dest ? dest + done : scratch.data(), want);
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
    return ok_status();
  }

  zip_t* za_;
  std::string path_;
  uint64_t archive_bytes_;
  std::shared_ptr<const ByteSource> mapped_;
  std::vector<uint64_t> offsets_;  ///< data offset per entry index; empty: entries are read into memory
  mutable uint64_t bytes_copied_ = 0;
};

}  // namespace

Result<std::unique_ptr<BundleStore>> open_zip_store(const std::string& path, uint64_t archive_bytes) {
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
  auto mapped = MmapFile::open(path);
  if (!mapped.ok()) {
    zip_discard(za);
    return std::move(mapped).error();
  }
  std::shared_ptr<const ByteSource> file(std::move(mapped).value());
  return std::unique_ptr<BundleStore>(new ZipStore(za, path, archive_bytes, std::move(file)));
}

}  // namespace hfb
