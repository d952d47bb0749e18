// GgufLayout: the validated key/value pairs and tensor infos of a GGUF being written, and their encoding (header
// bytes, offsets, padding). Shared by the streaming GgufWriter and serialize_gguf so both give the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/error.h"
#include "formats/gguf_format.h"

namespace hfb::gguf_layout {

struct TensorSlot {
  std::string name;
  std::vector<int64_t> ne;
  gguf::GgmlType type = gguf::GgmlType::kF32;
  uint64_t nbytes = 0;
  uint64_t offset = 0;  ///< relative to the data section
};

class GgufLayout {
 public:
  explicit GgufLayout(uint32_t alignment) : alignment_(alignment) {}
  /// kInvalidArgument for a bad alignment (not a power of two >= 32).
  static Status check_alignment(uint32_t alignment);

  /// Fails as GgufWriter::add_metadata.
  Status add_metadata(std::string key, gguf::Value value);
  /// Fails as GgufWriter::add_tensor.
  Status add_tensor(std::string name, std::vector<int64_t> ne, gguf::GgmlType type);
  /// Magic, version, counts, metadata (general.alignment appended when not 32 and not given), tensor infos and the
  /// zero padding up to the data section.
  std::vector<uint8_t> header_bytes() const;

  uint32_t alignment() const { return alignment_; }
  const std::vector<TensorSlot>& tensors() const { return tensors_; }
  /// Bytes of padding after a tensor of `nbytes` bytes.
  uint64_t padding_after(uint64_t nbytes) const;

 private:
  uint32_t alignment_;
  gguf::Metadata metadata_;
  std::unordered_set<std::string> keys_;
  std::vector<TensorSlot> tensors_;
  std::unordered_set<std::string> names_;
  uint64_t data_bytes_ = 0;  ///< padded sum of the tensors so far
};

}  // namespace hfb::gguf_layout
