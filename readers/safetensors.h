// safetensors reader: single files and sharded checkpoints (model.safetensors.index.json + shards).
// Everything in a file is validated before it is trusted; tensors are views into mmapped files (no copy).
// Format spec: docs/formats/safetensors.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_source.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/tensor.h"

namespace hfb {

/// Limits applied while parsing untrusted headers.
struct SafetensorsLimits {
  uint64_t max_header_bytes = limits().max_header_bytes;  ///< default: the reference's 100 MB cap
  uint64_t max_tensors = limits().max_tensors;
  uint32_t max_rank = 8;
};

/// File names looked for in a checkpoint directory.
inline constexpr const char* kSafetensorsSingleName = "model.safetensors";
inline constexpr const char* kSafetensorsIndexName = "model.safetensors.index.json";

/// One parsed safetensors file.
struct SafetensorsFile {
  std::vector<TensorInfo> tensors;              ///< in data-offset order, absolute offsets
  std::map<std::string, std::string> metadata;  ///< the optional "__metadata__" map
  uint64_t header_bytes = 0;                    ///< N, the JSON header length
  uint64_t data_offset = 0;                     ///< 8 + N: where the data section starts
};

/// Like parse_safetensors, also returning `__metadata__` and the layout. Fails the same way.
Result<SafetensorsFile> parse_safetensors_file(std::shared_ptr<const ByteSource> source,
                                               const SafetensorsLimits& limits = {});

/// Parse one safetensors file held by `source`. Returns its tensors in data-offset order, with
/// absolute offsets into `source`. Roles are not assigned here (see readers/gemma4_tensors.h).
/// Fails with kInvalidFile / kUnsupported / kLimit naming the file, the tensor and the byte offset.
Result<std::vector<TensorInfo>> parse_safetensors(std::shared_ptr<const ByteSource> source,
                                                  const SafetensorsLimits& limits = {});

/// Read all tensors of a checkpoint directory: `model.safetensors.index.json` + its shards if the index
/// exists, else the single `model.safetensors`. `dir` may also name a .safetensors file or an index file
/// directly. Fails with kNotFound naming the directory and both file names if neither exists, with
/// kNotFound for a missing shard or a tensor missing from its shard, and with kInvalidFile for a bad
/// index or a shard path escaping the directory (plus everything parse_safetensors fails with).
/// Shard names in the index are confined to `dir` (no `..`, no absolute paths, at most one sub-folder); the
/// files they name may be symlinks anywhere (a hub cache links to ../../blobs/) but must be regular files; index and shards
/// must agree exactly (every listed tensor in its shard, no extra tensors, no name in two shards).
/// The table lists shards in file-name order, each shard's tensors in data-offset order.
Result<TensorTable> read_safetensors_checkpoint(const std::string& dir,
                                                const SafetensorsLimits& limits = {});

}  // namespace hfb
