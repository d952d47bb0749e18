// check_side_output: stat + access on the target and its parent directory.
#include "cli/side_output.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hfb::cli {

Status check_side_output(const std::string& path, const char* flag) {
  if (path.empty()) return ok_status();
  const auto refuse = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument, std::string(flag) + ": " + why).with_path(path);
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return refuse("exists and is not a regular file");
  const size_t slash = path.find_last_of('/');
  const std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (::stat(parent.c_str(), &st) != 0) return refuse("its directory '" + parent + "': " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return refuse("'" + parent + "' is not a directory");
  if (::access(parent.c_str(), W_OK) != 0) return refuse("its directory '" + parent + "' is not writable");
  return ok_status();
}

}  // namespace hfb::cli
