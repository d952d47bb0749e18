// Deterministic stored-entry zips (libzip) for the bundle writer, each entry's data 64-byte aligned for mmap.
#include "writers/bundle_archive.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <cstdint>
#include <vector>

#include "formats/bundle_format.h"

namespace hfb {
namespace {

Error zip_error(zip_t* za, const std::string& what, const std::string& path) {
  return Error(ErrorCode::kIo, what + ": " + zip_strerror(za)).with_path(path);
}

// 1980-01-01 00:00:00 in MS-DOS date/time fields (the zip epoch), independent of the time zone.
constexpr zip_uint16_t kDosTime = 0;
constexpr zip_uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;

// The extra field Android's zipalign pads with (id 0xD935: u16 alignment, then zeros).
constexpr zip_uint16_t kAlignmentExtraId = 0xD935;
constexpr uint64_t kLocalHeaderBytes = 30;
constexpr uint64_t kZip64LocalExtraBytes = 20;  // libzip adds it to the local header of an entry >= 4 GiB

/// The extra field that puts the data of an entry whose local header starts at `offset` on a kBundleAlignment
/// boundary, so readers can map it in place (empty when it already is).
std::vector<zip_uint8_t> alignment_extra(uint64_t offset, const std::string& entry, uint64_t size) {
  const uint64_t zip64 = size >= 0xFFFFFFFFull ? kZip64LocalExtraBytes : 0;
  const uint64_t unpadded = offset + kLocalHeaderBytes + entry.size() + zip64;
  uint64_t pad = (kBundleAlignment - unpadded % kBundleAlignment) % kBundleAlignment;
  if (pad == 0) return {};
  if (pad < 4) pad += kBundleAlignment;  // the field's own id and length take 4 bytes
  std::vector<zip_uint8_t> data(static_cast<size_t>(pad - 4), 0);
  if (data.size() >= 2) {
    data[0] = static_cast<zip_uint8_t>(kBundleAlignment & 0xFF);
    data[1] = static_cast<zip_uint8_t>(kBundleAlignment >> 8);
  }
  return data;
}

/// Adds `dir`/`entry` stored, its data aligned; `offset` is where its local header goes and becomes the next's.
Status add_stored_entry(zip_t* za, const std::string& dir, const std::string& entry,
                        const std::string& zip_path, uint64_t* offset) {
  const std::string path = dir + "/" + entry;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error(ErrorCode::kIo, "cannot stat '" + path + "'").with_path(zip_path);
  const auto size = static_cast<uint64_t>(st.st_size);
  zip_source_t* src = zip_source_file(za, path.c_str(), 0, -1);
  if (src == nullptr) return zip_error(za, "cannot read '" + path + "'", zip_path);
  const zip_int64_t index = zip_file_add(za, entry.c_str(), src, ZIP_FL_ENC_UTF_8);
  if (index < 0) {
    zip_source_free(src);
    return zip_error(za, "cannot add entry '" + entry + "'", zip_path);
  }
  const auto i = static_cast<zip_uint64_t>(index);
  if (zip_set_file_compression(za, i, ZIP_CM_STORE, 0) != 0 ||
      zip_file_set_dostime(za, i, kDosTime, kDosDate, 0) != 0 ||
      zip_file_set_external_attributes(za, i, 0, ZIP_OPSYS_UNIX, 0100644u << 16) != 0) {
    return zip_error(za, "cannot set attributes of entry '" + entry + "'", zip_path);
  }
  const std::vector<zip_uint8_t> pad = alignment_extra(*offset, entry, size);
  if (!pad.empty() && zip_file_extra_field_set(za, i, kAlignmentExtraId, ZIP_EXTRA_FIELD_NEW, pad.data(),
                                               static_cast<zip_uint16_t>(pad.size()), ZIP_FL_LOCAL) != 0) {
    return zip_error(za, "cannot align entry '" + entry + "'", zip_path);
  }
  const uint64_t extra = pad.empty() ? 0 : pad.size() + 4;
  *offset += kLocalHeaderBytes + entry.size() + (size >= 0xFFFFFFFFull ? kZip64LocalExtraBytes : 0) + extra + size;
  return ok_status();
}

}  // namespace

bool is_zip_bundle(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;  // never opens a FIFO
  int err = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (za == nullptr) return false;
  const bool has_manifest = zip_name_locate(za, "manifest.pb", 0) >= 0;
  zip_discard(za);
  return has_manifest;
}

Status write_stored_zip(const std::string& dir, const std::vector<std::string>& entries,
                        const std::string& zip_path) {
  int err = 0;
  zip_t* za = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_EXCL, &err);
  if (za == nullptr) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    Error e = Error(ErrorCode::kIo, std::string("cannot create zip: ") + zip_error_strerror(&ze)).with_path(zip_path);
    zip_error_fini(&ze);
    return e;
  }
  uint64_t offset = 0;
  for (const std::string& entry : entries) {
    Status s = add_stored_entry(za, dir, entry, zip_path, &offset);
    if (!s.ok()) {
      zip_discard(za);
      return s;
    }
  }
  if (zip_close(za) != 0) {
    Error e = zip_error(za, "cannot write zip", zip_path);
    zip_discard(za);
    ::unlink(zip_path.c_str());
    return e;
  }
  return ok_status();
}

}  // namespace hfb
