// resolve_checkpoint_location: hub-cache repo folders and snapshot folders -> snapshot dir + org/name@revision.
#include "readers/hub_cache.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

namespace hfb {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRepoPrefix = "models--";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

/// The folder name of `path` without trailing slashes ("a/b/" -> "b").
std::string last_component(const std::string& path) {
  fs::path p = fs::path(path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

std::vector<std::string> list_snapshots(const fs::path& snapshots) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(snapshots, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec)) names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// The snapshot a repo folder stands for: refs/main if present, else the only snapshot.
Result<CheckpointLocation> resolve_repo_folder(const fs::path& repo, const std::string& repo_id) {
  CheckpointLocation loc;
  loc.repo_id = repo_id;
  std::error_code ec;
  std::ifstream ref(repo / "refs" / "main");
  std::string revision;
  if (ref && std::getline(ref, revision) && !trimmed(revision).empty()) {
    loc.revision = trimmed(revision);
    loc.revision_from = "refs/main";
    const fs::path dir = repo / "snapshots" / loc.revision;
    if (!fs::is_directory(dir, ec)) {
      return Error(ErrorCode::kNotFound, "hub cache: refs/main names revision " + loc.revision +
                                             " but snapshots/" + loc.revision +
                                             " is missing (interrupted download? download the model again)")
          .with_path(repo.string());
    }
    loc.dir = dir.string();
    return loc;
  }
  const std::vector<std::string> snapshots = list_snapshots(repo / "snapshots");
  if (snapshots.empty()) {
    return Error(ErrorCode::kNotFound, "hub cache: repo folder has no snapshot in snapshots/ (download not finished?)")
        .with_path(repo.string());
  }
  if (snapshots.size() > 1) {
    return Error(ErrorCode::kInvalidArgument, "hub cache: no refs/main and " + std::to_string(snapshots.size()) +
                                                  " snapshots (" + joined(snapshots) +
                                                  "); pass the snapshot folder to use: " +
                                                  (repo / "snapshots" / snapshots.front()).string())
        .with_path(repo.string());
  }
  loc.revision = snapshots.front();
  loc.revision_from = "the only snapshot";
  loc.dir = (repo / "snapshots" / loc.revision).string();
  return loc;
}

}  // namespace

std::string hub_repo_id_from_folder(const std::string& folder_name) {
  const std::string prefix = kRepoPrefix;
  if (folder_name.compare(0, prefix.size(), prefix) != 0) return "";
  const std::string rest = folder_name.substr(prefix.size());
  const size_t sep = rest.find("--");
  if (sep == std::string::npos || sep == 0 || sep + 2 >= rest.size()) return rest;  // no org: "models--gpt2"
  return rest.substr(0, sep) + "/" + rest.substr(sep + 2);
}

Result<CheckpointLocation> resolve_checkpoint_location(const std::string& path) {
  CheckpointLocation loc;
  loc.dir = path;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return loc;
  const std::string name = last_component(path);
  const std::string repo_id = hub_repo_id_from_folder(name);
  if (!repo_id.empty() && fs::is_directory(fs::path(path) / "snapshots", ec) &&
      !fs::exists(fs::path(path) / "config.json", ec)) {
    return resolve_repo_folder(fs::path(path), repo_id);
  }
  // A snapshot folder given directly: <cache>/models--org--name/snapshots/<rev>.
  const fs::path normal = fs::path(path).lexically_normal();
  const fs::path snapshot = normal.filename().empty() ? normal.parent_path() : normal;
  const fs::path parent = snapshot.parent_path();
  if (parent.filename() == "snapshots") {
    const std::string parent_repo = hub_repo_id_from_folder(parent.parent_path().filename().string());
    if (!parent_repo.empty()) {
      loc.repo_id = parent_repo;
      loc.revision = snapshot.filename().string();
      loc.revision_from = "the snapshot folder given";
    }
  }
  return loc;
}

}  // namespace hfb
