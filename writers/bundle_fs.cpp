// Temp directories, atomic publish by rename(2)/renameat2(2), and recursive cleanup for the bundle writer.
#include "writers/bundle_fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace hfb {
namespace {

Error rename_error(const std::string& src, const std::string& out, int err) {
  return Error(ErrorCode::kIo, "cannot rename '" + src + "' to '" + out + "': " + std::strerror(err))
      .with_path(out);
}

int rename_flags(const std::string& src, const std::string& out, unsigned flags) {
  return ::renameat2(AT_FDCWD, src.c_str(), AT_FDCWD, out.c_str(), flags);
}

// Replace an existing `out` when RENAME_EXCHANGE is unsupported: move it aside, then rename.
Status replace_by_moving_aside(const std::string& src, const std::string& out) {
  HFB_TRY(std::string aside_dir, make_temp_dir(out + ".old"));
  const std::string aside = aside_dir + "/old";
  if (::rename(out.c_str(), aside.c_str()) != 0) {
    const int err = errno;
    remove_tree(aside_dir);
    return rename_error(out, aside, err);
  }
  if (::rename(src.c_str(), out.c_str()) != 0) {
    const int err = errno;
    (void)::rename(aside.c_str(), out.c_str());  // put the old one back
    remove_tree(aside_dir);
    return rename_error(src, out, err);
  }
  remove_tree(aside_dir);
  return ok_status();
}

}  // namespace

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Status check_output_free(const std::string& out, bool force) {
  if (!force && path_exists(out)) {
    return Error(ErrorCode::kInvalidArgument, "output exists; pass --force to overwrite it").with_path(out);
  }
  return ok_status();
}

Status check_force_target(const std::string& out, const std::string& source, bool zip) {
  struct stat st {};
  if (::lstat(out.c_str(), &st) != 0) return ok_status();
  const auto refuse = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument, "--force refuses to replace it: " + why).with_path(out);
  };
  std::error_code ec;
  const std::filesystem::path real_out = std::filesystem::weakly_canonical(out, ec);
  std::filesystem::path real_source = std::filesystem::weakly_canonical(source, ec);
  if (!std::filesystem::is_directory(real_source, ec)) real_source = real_source.parent_path();
  const std::string o = real_out.string(), s = real_source.string();
  if (!o.empty() && (s == o || (s.size() > o.size() && s.compare(0, o.size(), o) == 0 && s[o.size()] == '/'))) {
    return refuse("it is (or contains) the source checkpoint " + source);
  }
  if (S_ISDIR(st.st_mode)) {
    if (zip) return refuse("it is a directory, and --zip writes a zip file");
    struct stat manifest {};
    if (::lstat((out + "/manifest.pb").c_str(), &manifest) != 0 || !S_ISREG(manifest.st_mode)) {
      return refuse("it is a directory but not a bundle (no manifest.pb)");
    }
    return ok_status();
  }
  if (!zip) return refuse("it is not a bundle directory (a zip bundle is replaced only with --zip)");
  return ok_status();  // the caller checks that the file is a zip bundle (writers/bundle_archive.h)
}

Result<std::string> make_temp_dir(const std::string& out) {
  std::string tmpl = out + ".tmp-" + std::to_string(::getpid()) + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    return Error(ErrorCode::kIo, std::string("cannot create temporary directory: ") + std::strerror(errno))
        .with_path(tmpl);
  }
  ::chmod(buf.data(), 0755);
  return std::string(buf.data());
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

Status publish_path(const std::string& src, const std::string& out, bool force) {
  if (!force) {
    if (rename_flags(src, out, RENAME_NOREPLACE) == 0) return ok_status();
    const int err = errno;
    if (err == EEXIST) return check_output_free(out, false);
    if (err != EINVAL && err != ENOSYS) return rename_error(src, out, err);
    if (path_exists(out)) return check_output_free(out, false);
    if (::rename(src.c_str(), out.c_str()) != 0) return rename_error(src, out, errno);
    return ok_status();
  }
  if (!path_exists(out)) {
    if (::rename(src.c_str(), out.c_str()) != 0) return rename_error(src, out, errno);
    return ok_status();
  }
  if (rename_flags(src, out, RENAME_EXCHANGE) == 0) {
    remove_tree(src);  // now holds the old output
    return ok_status();
  }
  return replace_by_moving_aside(src, out);
}

}  // namespace hfb
