// remove_stale_temp_dirs: the next convert to OUT sweeps up what a killed one left.
#include "writers/temp_cleanup.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "writers/bundle_fs.h"

namespace hfb {
namespace {

constexpr const char* kTempInfix = ".tmp-";

long parse_pid(const std::string& text) {
  if (text.empty() || text.size() > 10) return 0;
  long pid = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}

/// The pid in "NAME.tmp-<pid>-XXXXXX", or 0.
long pid_from_name(const std::string& name) {
  const size_t at = name.rfind(kTempInfix);
  if (at == std::string::npos) return 0;
  const size_t begin = at + std::string(kTempInfix).size();
  const size_t dash = name.find('-', begin);
  return dash == std::string::npos ? 0 : parse_pid(name.substr(begin, dash - begin));
}

bool process_gone(long pid) {
  if (pid <= 0 || pid == static_cast<long>(::getpid())) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

Status write_temp_owner(const std::string& tmp_dir) {
  const std::string path = tmp_dir + "/" + kTempOwnerFileName;
  std::ofstream file(path, std::ios::trunc);
  file << ::getpid() << "\n";
  if (!file.flush()) return Error(ErrorCode::kIo, "cannot write the temp directory's owner pid").with_path(path);
  return ok_status();
}

void remove_temp_owner(const std::string& tmp_dir) { ::unlink((tmp_dir + "/" + kTempOwnerFileName).c_str()); }

long temp_dir_owner(const std::string& tmp_dir) {
  std::ifstream file(tmp_dir + "/" + kTempOwnerFileName);
  std::string text;
  if (file && std::getline(file, text)) {
    const long pid = parse_pid(text);
    if (pid > 0) return pid;
  }
  const size_t slash = tmp_dir.rfind('/');
  return pid_from_name(slash == std::string::npos ? tmp_dir : tmp_dir.substr(slash + 1));
}

std::vector<std::string> remove_stale_temp_dirs(const std::string& out) {
  std::string trimmed = out;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const size_t slash = trimmed.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : trimmed.substr(0, slash));
  const std::string prefix = (slash == std::string::npos ? trimmed : trimmed.substr(slash + 1)) + kTempInfix;
  std::vector<std::string> removed;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return removed;
  std::vector<std::string> candidates;
  while (dirent* entry = ::readdir(listing)) {
    const std::string name = entry->d_name;
    if (name.compare(0, prefix.size(), prefix) == 0) candidates.push_back(dir + "/" + name);
  }
  ::closedir(listing);
  for (const std::string& path : candidates) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (!process_gone(temp_dir_owner(path))) continue;
    remove_tree(path);
    removed.push_back(path);
  }
  return removed;
}

}  // namespace hfb
