// Bundle reader: opens a bundle directory or zip, validates manifest.pb against the files, and exposes
// tensors as TensorInfo records with ByteSource views (mmap for raw files and zip entries, memory for zstd).
// Format: docs/formats/bundle.md; schema: writers/bundle.proto.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_source.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/model.h"
#include "core/model_config.h"
#include "core/tensor.h"

namespace hfb {

namespace bundle {
class Manifest;
}

/// How much to verify when opening (an explicit level, after ExecuTorch's Verification).
enum class BundleCheck : uint8_t {
  kStructure,  ///< version, names, dtypes, schemes, shapes, sizes, offsets, alignment (reads no tensor bytes)
  kChecksums,  ///< kStructure + XXH3-64 of every stored file and every segment (reads every byte)
};

/// Limits applied to untrusted manifests before anything is allocated.
struct BundleLimits {
  uint64_t max_manifest_bytes = 256ull << 20;
  uint64_t max_tensors = limits().max_tensors;
  uint64_t max_files = 4096;
  uint32_t max_rank = 8;
  uint32_t max_segments = 16;                       ///< per tensor
  uint64_t max_file_bytes = limits().max_file_bytes;  ///< raw or stored size of one file (core/limits.h)
};

struct BundleReadOptions {
  BundleCheck check = BundleCheck::kStructure;
  BundleLimits limits;
};

/// One stored part of a tensor ("data" for plain tensors; "codes", "scales", "lut" for schemes).
struct BundleSegmentView {
  std::string part;
  std::string file;                           ///< manifest file name
  std::shared_ptr<const ByteSource> source;   ///< the file's raw (decompressed) bytes
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t xxh3 = 0;
};

/// A tensor of a bundle. For plain tensors `info` is a complete checkpoint-style record; for scheme
/// tensors `info.dtype` is the source dtype and `info.source/offset/num_bytes` view the first segment.
struct BundleTensor {
  TensorInfo info;
  std::string chunk;
  std::string scheme;                         ///< "" for plain dtypes
  uint32_t group_size = 0;
  uint32_t block_size = 0;
  std::string scale_dtype;
  bool per_tensor = false;
  bool per_channel_scale = false;
  std::vector<BundleSegmentView> segments;
  /// The segment named `part`, or nullptr.
  const BundleSegmentView* segment(const std::string& part) const;
};

struct BundleChunkInfo {
  std::string name;
  std::string kind;                           ///< decoder | embedding | ple | head | audio | vision
  int first_layer = -1;
  int end_layer = -1;
  std::string file;
  std::vector<std::string> inputs, outputs, state;
};

class Bundle {
 public:
  /// Opens a bundle directory, or a zip file (stored entries mapped in place, their CRC-32 checked). Fails with kNotFound / kIo for
  /// missing or unreadable files, kInvalidFile for a malformed manifest or a file that disagrees with it
  /// (size, offset outside the file, misalignment, checksum with kChecksums), kUnsupported for a newer
  /// major version or an unknown dtype / scheme, kLimit for sizes beyond `options.limits`. Errors name
  /// the file, the tensor and the offset concerned.
  static Result<std::shared_ptr<const Bundle>> open(const std::string& path, const BundleReadOptions& options = {});
  ~Bundle();

  const std::string& path() const { return path_; }
  bool is_zip() const { return is_zip_; }
  /// Whether the manifest and stored files are mapped (a directory, or a zip whose entries are windows of the
  /// mapped zip); false for a zip with an entry the reader copied into memory (not aligned, or not walkable).
  bool files_mapped() const { return files_mapped_; }
  uint32_t format_major() const;
  uint32_t format_minor() const;
  const std::string& producer() const;
  const ModelConfig& config() const { return config_; }
  const std::vector<BundleTensor>& tensors() const { return tensors_; }
  /// kInvalidFile naming the file when a mapped bundle file changed (was truncated) since it was opened
  /// (ByteSource::check_intact): what was read from it since then is zeros, not its bytes.
  Status check_intact() const;
  const std::vector<BundleChunkInfo>& chunks() const { return chunks_; }
  /// nullptr if absent.
  const BundleTensor* find(const std::string& name) const;
  /// Plain (unquantized) tensors as a checkpoint-style table; scheme tensors are left out (use tensors()).
  TensorTable plain_tensor_table() const;
  /// Raw bytes of a file of the bundle by manifest name ("config.json", "chunk_00.bin"); kNotFound if absent.
  Result<std::shared_ptr<const ByteSource>> file(const std::string& name) const;
  /// The parsed manifest (include writers/bundle.pb.h to use it).
  const bundle::Manifest& manifest() const { return *manifest_; }

 private:
  Bundle() = default;
  friend class BundleLoader;
  std::string path_;
  bool is_zip_ = false;
  bool files_mapped_ = true;
  std::unique_ptr<bundle::Manifest> manifest_;
  ModelConfig config_;
  std::vector<BundleTensor> tensors_;
  std::vector<BundleChunkInfo> chunks_;
  std::map<std::string, size_t> tensor_index_;
  std::map<std::string, std::shared_ptr<const ByteSource>> files_;  ///< raw bytes by manifest name
};

}  // namespace hfb
