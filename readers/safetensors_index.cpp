// Checkpoint directories: model.safetensors.index.json + shards (names confined to the directory, checked against
// the index both ways; symlinked files followed, as a hub cache has them), or a single model.safetensors.
#include <algorithm>
#include <filesystem>
#include <set>
#include <string_view>
#include <system_error>

#include "readers/safetensors.h"
#include "readers/safetensors_json.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// The parsed index: which shard holds which tensor, and where each tensor's key is in the index.
struct ShardIndex {
  std::string path;
  std::map<std::string, std::string> weight_map;  ///< tensor -> shard file name (relative)
  std::map<std::string, uint64_t> key_offsets;    ///< tensor -> offset of its key in the index

  Error error(ErrorCode code, std::string message, const std::string& tensor = "") const {
    Error e = Error(code, std::move(message)).with_path(path);
    auto it = key_offsets.find(tensor);
    if (it != key_offsets.end()) e.offset = it->second;
    if (!tensor.empty()) e.tensor = tensor;
    return e;
  }
};

Result<ShardIndex> read_index(const std::string& index_path, const SafetensorsLimits& limits) {
  HFB_TRY(std::shared_ptr<MmapFile> file, MmapFile::open(index_path));
  if (file->size() > limits.max_header_bytes) {
    return Error(ErrorCode::kLimit, "index is " + std::to_string(file->size()) + " bytes, more than the limit of " +
                                        std::to_string(limits.max_header_bytes))
        .with_path(index_path);
  }
  HFB_TRY(ByteSpan bytes, file->read(0, file->size()));
  const std::string_view text(reinterpret_cast<const char*>(bytes.data), bytes.size);
  // Depth 2: the keys of "weight_map" are the tensor names whose offsets we want for messages.
  HFB_TRY(safetensors_json::JsonDocument doc,
          safetensors_json::parse_json_document(text, index_path, 0, 2, "index"));
  ShardIndex index;
  index.path = index_path;
  index.key_offsets = std::move(doc.key_offsets);
  auto wm = doc.root.find("weight_map");
  if (wm == doc.root.end() || !wm->is_object()) {
    return index.error(ErrorCode::kInvalidFile,
                       "index needs a 'weight_map' object {tensor: shard file}, got " +
                           (wm == doc.root.end() ? std::string("none") : safetensors_json::json_type_name(*wm)));
  }
  if (wm->empty()) return index.error(ErrorCode::kInvalidFile, "index 'weight_map' lists no tensors");
  for (const auto& [name, shard] : wm->items()) {
    if (!shard.is_string()) {
      return index.error(ErrorCode::kInvalidFile,
                         "weight_map value must be a shard file name, got " + safetensors_json::json_type_name(shard),
                         name);
    }
    index.weight_map.emplace(name, shard.get<std::string>());
  }
  return index;
}

/// Syntactic checks on a shard name from the index: relative, normalized, no `..`, no NUL.
Status check_shard_name(const ShardIndex& index, const std::string& tensor, const std::string& shard) {
  const std::string quoted = "shard path '" + shard + "'";
  if (shard.empty()) return index.error(ErrorCode::kInvalidFile, "empty shard path", tensor);
  if (shard.find('\0') != std::string::npos) {
    return index.error(ErrorCode::kInvalidFile, "shard path contains a NUL byte", tensor);
  }
  if (shard.front() == '/') {
    return index.error(ErrorCode::kInvalidFile,
                       quoted + " is absolute; shards must be relative to the checkpoint directory", tensor);
  }
  size_t start = 0;
  while (start <= shard.size()) {
    size_t slash = shard.find('/', start);
    if (slash == std::string::npos) slash = shard.size();
    const std::string_view part(shard.data() + start, slash - start);
    if (part == "..") {
      return index.error(ErrorCode::kInvalidFile,
                         quoted + " contains '..'; shards must stay inside the checkpoint directory", tensor);
    }
    if (part.empty() || part == ".") {
      return index.error(ErrorCode::kInvalidFile, quoted + " is not a normalized relative path", tensor);
    }
    start = slash + 1;
  }
  if (std::count(shard.begin(), shard.end(), '/') > 1) {
    return index.error(ErrorCode::kInvalidFile,
                       quoted + " is nested more than one folder deep; shards sit in the checkpoint directory "
                                "(or one sub-folder of it)",
                       tensor);
  }
  return ok_status();
}

/// Resolves a shard and checks it is a regular file (symlinks are followed: a Hugging Face hub cache links every
/// snapshot file to ../../blobs/<hash>; the confinement that matters is of the names in the index, checked by
/// check_shard_name). Refuses special files (FIFOs, devices, directories). Returns the path to open.
Result<std::string> resolve_shard(const ShardIndex& index, const fs::path& dir, const std::string& tensor,
                                  const std::string& shard) {
  HFB_TRY(check_shard_name(index, tensor, shard));
  const fs::path joined = dir / shard;
  std::error_code ec;
  const fs::file_status status = fs::status(joined, ec);
  if (ec || !fs::exists(status)) {
    const bool missing = !ec || ec == std::errc::no_such_file_or_directory;
    return index.error(missing ? ErrorCode::kNotFound : ErrorCode::kIo,
                       "shard '" + shard + "' listed in the index cannot be opened: " +
                           (missing ? std::string("no such file (or a dangling symlink)") : ec.message()) +
                           " (incomplete download?)",
                       tensor);
  }
  if (!fs::is_regular_file(status)) {
    return index.error(ErrorCode::kInvalidFile,
                       "shard '" + shard + "' is not a regular file (a directory, FIFO or device?)", tensor);
  }
  return joined.string();
}

/// Opens one shard and adds its tensors, checking each against the index.
Status add_shard(const ShardIndex& index, const std::string& shard, const std::string& open_path,
                 const SafetensorsLimits& limits, std::map<std::string, std::string>& seen_in, TensorTable& table) {
  HFB_TRY(std::shared_ptr<MmapFile> file, MmapFile::open(open_path));
  auto parsed = parse_safetensors(file, limits);
  if (!parsed.ok()) return std::move(parsed).error().with_context("while reading shard listed in " + index.path);
  for (TensorInfo& t : parsed.value()) {
    auto first = seen_in.find(t.name);
    if (first != seen_in.end()) {
      return Error(ErrorCode::kInvalidFile,
                   "present in two shards: '" + first->second + "' and '" + shard + "'")
          .with_path(open_path)
          .with_offset(t.offset)
          .with_tensor(t.name);
    }
    auto listed = index.weight_map.find(t.name);
    if (listed == index.weight_map.end()) {
      return Error(ErrorCode::kInvalidFile,
                   "present in shard but not listed in the index " + index.path + " (stale index?)")
          .with_path(open_path)
          .with_offset(t.offset)
          .with_tensor(t.name);
    }
    if (listed->second != shard) {
      return Error(ErrorCode::kInvalidFile, "present in shard '" + shard + "' but the index maps it to '" +
                                                listed->second + "' (stale index?)")
          .with_path(open_path)
          .with_offset(t.offset)
          .with_tensor(t.name);
    }
    seen_in.emplace(t.name, shard);
    table.add(std::move(t));
  }
  return ok_status();
}

Result<TensorTable> read_sharded(const std::string& index_path, const SafetensorsLimits& limits) {
  HFB_TRY(ShardIndex index, read_index(index_path, limits));
  const fs::path dir = fs::path(index_path).parent_path().empty() ? fs::path(".") : fs::path(index_path).parent_path();

  std::map<std::string, std::string> shards;  // shard name -> path to open, in name order
  for (const auto& [tensor, shard] : index.weight_map) {
    if (shards.count(shard) != 0) continue;
    HFB_TRY(std::string open_path, resolve_shard(index, dir, tensor, shard));
    shards.emplace(shard, std::move(open_path));
  }
  TensorTable table;
  std::map<std::string, std::string> seen_in;  // tensor -> shard it was found in
  for (const auto& [shard, open_path] : shards) {
    HFB_TRY(add_shard(index, shard, open_path, limits, seen_in, table));
  }
  for (const auto& [tensor, shard] : index.weight_map) {
    if (seen_in.count(tensor) == 0) {
      return index.error(ErrorCode::kNotFound,
                         "listed in the index but absent from its shard '" + shard + "' (incomplete or mixed download?)",
                         tensor);
    }
  }
  return table;
}

Result<TensorTable> read_single(const std::string& path, const SafetensorsLimits& limits) {
  HFB_TRY(std::shared_ptr<MmapFile> file, MmapFile::open(path));
  HFB_TRY(std::vector<TensorInfo> tensors, parse_safetensors(file, limits));
  TensorTable table;
  for (TensorInfo& t : tensors) table.add(std::move(t));  // names are unique: the header rejects duplicates
  return table;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Result<TensorTable> read_safetensors_checkpoint(const std::string& dir, const SafetensorsLimits& limits) {
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (ec || !fs::exists(status)) {
    return Error(ErrorCode::kNotFound, "checkpoint path does not exist").with_path(dir);
  }
  if (fs::is_regular_file(status)) {
    return ends_with(dir, ".index.json") ? read_sharded(dir, limits) : read_single(dir, limits);
  }
  if (!fs::is_directory(status)) {
    return Error(ErrorCode::kInvalidArgument, "checkpoint path is neither a directory nor a file").with_path(dir);
  }
  const fs::path index_path = fs::path(dir) / kSafetensorsIndexName;
  if (fs::exists(index_path, ec)) return read_sharded(index_path.string(), limits);
  const fs::path single_path = fs::path(dir) / kSafetensorsSingleName;
  if (fs::exists(single_path, ec)) return read_single(single_path.string(), limits);
  return Error(ErrorCode::kNotFound, std::string("no safetensors checkpoint: looked for ") + kSafetensorsIndexName +
                                         " and " + kSafetensorsSingleName)
      .with_path(dir);
}

}  // namespace hfb
