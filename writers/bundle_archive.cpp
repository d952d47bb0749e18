// Deterministic stored-entry zips (libzip) for the bundle writer.
#include "writers/bundle_archive.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

namespace hfb {
namespace {

Error zip_error(zip_t* za, const std::string& what, const std::string& path) {
  return Error(ErrorCode::kIo, what + ": " + zip_strerror(za)).with_path(path);
}

// 1980-01-01 00:00:00 in MS-DOS date/time fields (the zip epoch), independent of the time zone.
constexpr zip_uint16_t kDosTime = 0;
constexpr zip_uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;

Status add_stored_entry(zip_t* za, const std::string& dir, const std::string& entry,
                        const std::string& zip_path) {
  const std::string path = dir + "/" + entry;
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
  for (const std::string& entry : entries) {
    Status s = add_stored_entry(za, dir, entry, zip_path);
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
