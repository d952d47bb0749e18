// GGUF v3 writer: metadata and tensor infos first (every tensor's size is known from its type and shape), then the
// tensor data streamed in info order, so a model of any size is written with bounded memory. Output goes to a
// temporary name and is renamed into place by finish(); an unfinished writer leaves nothing behind.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "formats/gguf_format.h"
#include "writers/bundle_sink.h"

namespace hfb {

class GgufWriter {
 public:
  /// A writer for `path` (written as `path.tmp-<pid>` until finish()). `alignment` is a power of two >= 32; a value
  /// other than 32 is recorded as general.alignment. `sink_factory` opens the output (tests inject failing sinks;
  /// default: open_file_sink). Fails with kInvalidArgument for a bad alignment, like the factory for the file.
  static Result<std::unique_ptr<GgufWriter>> create(const std::string& path, uint32_t alignment = gguf::kDefaultAlignment,
                                                    SinkFactory sink_factory = {});
  ~GgufWriter();  ///< removes the temporary file unless finish() succeeded
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  /// Adds a key (in call order). kInvalidArgument for a duplicate key, an empty array, an array of arrays.
  Status add_metadata(std::string key, gguf::Value value);
  /// Declares a tensor (data follows later, in declaration order). `ne` in ggml order. kInvalidArgument naming the
  /// tensor for a duplicate name, a name of more than 63 bytes, 0 or more than 4 dims, a non-positive dim, ne[0] not
  /// a multiple of the type's block size; kLimit on a size overflow.
  Status add_tensor(std::string name, std::vector<int64_t> ne, gguf::GgmlType type);
  /// Writes magic, counts, metadata and tensor infos with their offsets, and the padding up to the data section.
  /// Call once, after every add_metadata/add_tensor. Fails with kIo naming the file.
  Status write_header();
  /// Appends bytes of the current tensor (the first declared tensor not yet complete); a tensor may arrive in
  /// several pieces. Padding is written when a tensor is complete. kInvalidArgument when more bytes arrive than the
  /// declared tensors hold, kIo for a failed write.
  Status write_tensor_data(const uint8_t* data, uint64_t size);
  /// Checks that every declared tensor is complete, closes, fsyncs and renames the file to `path` (replacing it).
  /// kInternal naming the first incomplete tensor; kIo for a failed close or rename.
  Status finish();

  /// Name of the tensor the next write_tensor_data bytes belong to ("" when all are complete).
  const std::string& current_tensor() const;
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  GgufWriter(std::string path, std::unique_ptr<Impl> impl);
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

/// Serialises a whole GGUF held in memory (tests, fuzz seeds, corruption catalogue): same bytes as GgufWriter.
/// `tensors` pairs each declared tensor with its data. Fails like GgufWriter::add_metadata / add_tensor.
struct GgufTensorData {
  std::string name;
  std::vector<int64_t> ne;
  gguf::GgmlType type = gguf::GgmlType::kF32;
  std::vector<uint8_t> data;
};
Result<std::vector<uint8_t>> serialize_gguf(const gguf::Metadata& metadata, const std::vector<GgufTensorData>& tensors,
                                            uint32_t alignment = gguf::kDefaultAlignment);

}  // namespace hfb
