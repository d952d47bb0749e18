// GGUF v3 reader: every header field is checked against the bytes left and the limits before anything is allocated
// (ggml's gguf.cpp rules, docs/formats/gguf.md); tensors are views into the mapped file (no copy).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_source.h"
#include "core/error.h"
#include "core/limits.h"
#include "formats/gguf_format.h"

namespace hfb {

struct GgufLimits {
  uint64_t max_tensors = limits().max_tensors;
  uint64_t max_kv = 1u << 16;                  ///< metadata pairs
  uint64_t max_string_bytes = 64ull << 20;     ///< one string (a chat template is the largest seen)
  uint64_t max_array_elements = 1ull << 24;    ///< one array (a 262k vocabulary fits with room)
  uint64_t max_metadata_bytes = 512ull << 20;  ///< all keys, values and tensor infos together
};

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> ne;   ///< ggml order (ne[0] contiguous): the Hugging Face shape reversed
  gguf::GgmlType type = gguf::GgmlType::kF32;
  uint64_t offset = 0;       ///< absolute offset of the data in the file
  uint64_t nbytes = 0;
};

struct GgufFile {
  std::shared_ptr<const ByteSource> source;
  uint32_t version = gguf::kVersion;
  uint32_t alignment = gguf::kDefaultAlignment;
  uint64_t data_offset = 0;             ///< start of the data section
  gguf::Metadata metadata;              ///< in file order
  std::vector<GgufTensorInfo> tensors;  ///< in info order

  const gguf::Value* find(std::string_view key) const { return gguf::find_value(metadata, key); }
  /// The tensor named `name`, nullptr when absent.
  const GgufTensorInfo* find_tensor(std::string_view name) const;
  /// View of a tensor's bytes (valid while `source` lives). Fails like ByteSource::read.
  Result<ByteSpan> tensor_data(const GgufTensorInfo& tensor) const;
};

/// Parses the header, metadata and tensor infos of a GGUF held by `source`. Fails with kInvalidFile naming the path,
/// the byte offset and what was expected (bad magic, truncated field, unknown value type, duplicate key or tensor
/// name, offsets not the contiguous padded sum in info order, a tensor outside the file, ne[0] not a multiple of its
/// block, general.alignment not a UINT32 power of two), kUnsupported for a version other than 3 or a ggml type
/// hfbundle does not read (named), and kLimit (naming the --limit) for counts or sizes above `limits`.
Result<GgufFile> parse_gguf(std::shared_ptr<const ByteSource> source, const GgufLimits& limits = {});

/// Maps `path` and parses it. Fails like MmapFile::open and parse_gguf.
Result<GgufFile> read_gguf(const std::string& path, const GgufLimits& limits = {});

/// Whether the first bytes of `path` are the GGUF magic (for input-kind detection; false when unreadable).
bool has_gguf_magic(const std::string& path);

}  // namespace hfb
