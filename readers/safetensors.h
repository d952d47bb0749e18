// safetensors reader: single files and sharded checkpoints (model.safetensors.index.json + shards).
// Everything in a file is validated before it is trusted; tensors are views into mmapped files (no copy).
// Format spec: docs/formats/safetensors.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/byte_source.h"
#include "core/error.h"
#include "core/tensor.h"

namespace hfb {

/// Limits applied while parsing untrusted headers.
struct SafetensorsLimits {
  uint64_t max_header_bytes = 100ull << 20;  ///< same cap as the reference implementation (100 MB)
  uint64_t max_tensors = 1u << 20;
  uint32_t max_rank = 8;
};

/// Parse one safetensors file held by `source`. Returns its tensors in data-offset order, with
/// absolute offsets into `source`. Roles are not assigned here (see readers/gemma4_tensors.h).
/// Fails with kInvalidFile / kUnsupported / kLimit naming the file, the tensor and the byte offset.
Result<std::vector<TensorInfo>> parse_safetensors(std::shared_ptr<const ByteSource> source,
                                                  const SafetensorsLimits& limits = {});

/// Read all tensors of a checkpoint directory: `model.safetensors.index.json` + its shards if the index
/// exists, else the single `model.safetensors`. Shard paths are confined to `dir` (no `..`, no absolute
/// paths, no symlinks out); index and shards must agree exactly (every listed tensor in its shard, no
/// extra tensors, no duplicate names across shards).
Result<TensorTable> read_safetensors_checkpoint(const std::string& dir,
                                                const SafetensorsLimits& limits = {});

}  // namespace hfb
