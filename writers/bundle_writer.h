// BundleWriter: writes a bundle directory NAME.hfb/ (or one stored zip) atomically, tensor bytes streamed
// in row blocks into 64-byte-aligned segments with XXH3-64 checksums. Format: docs/formats/bundle.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_source.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/model_config.h"
#include "core/role.h"
#include "core/shape.h"
#include "writers/bundle_sink.h"

namespace hfb {

namespace bundle {
class Manifest;
class File;
class Tensor;
}

struct BundleWriterOptions {
  bool force = false;         ///< replace an existing OUT (atomically) instead of refusing
  int zstd_level = 0;         ///< 0: store data files raw; 1..22: zstd-compress data files as they are written
  bool zip = false;           ///< publish one stored-entry .zip file instead of a directory
  std::string producer = "hfbundle";
  SinkFactory sink_factory;   ///< empty: POSIX files (tests inject failing sinks here)
};

enum class BundleFileKind : uint8_t { kChunk, kEmbedding, kPle, kHead, kConfig, kTokenizer };

/// What a tensor is; its bytes are given separately, segment by segment.
struct BundleTensorMeta {
  std::string name;
  Role role = Role::kNorm;
  Tower tower = Tower::kText;
  int layer = -1;
  std::string chunk;          ///< a chunk name ("" if shared)
  DType dtype;                ///< plain: storage dtype; with a scheme: the source dtype
  Shape shape;
  std::string scheme;         ///< "" for plain dtypes; else a quant scheme name (parts: codes, scales, lut)
  uint32_t group_size = 0;
  uint32_t block_size = 0;
  std::string scale_dtype;    ///< "F16" | "F32" | ""
  bool per_tensor = false;
  bool per_channel_scale = false;
};

/// Boundary description of one chunk (its Graph is filled through manifest() once core/graph.h exists).
struct BundleChunkSpec {
  std::string name;           ///< "chunk_00"
  std::string kind = "decoder";  ///< decoder | embedding | ple | head | audio | vision
  int first_layer = -1;
  int end_layer = -1;
  std::string file;           ///< data file holding its tensors
  std::vector<std::string> inputs, outputs, state;
};

struct BundleCoverageEntry {
  std::string tensor, scheme, reason;
  std::string rule;           ///< the policy rule that chose `scheme` ("" for tensors removed by passes)
  uint64_t bytes_before = 0, bytes_after = 0;
  std::vector<std::pair<std::string, double>> metrics;
};

/// Streams one bundle. Usage: create -> metadata -> add_file / begin_tensor / begin_segment / append ... /
/// end_segment / end_tensor ... -> finish. Any failure (or destruction before finish) removes the temp
/// directory: OUT is either absent/unchanged or complete. Every failing call returns an Error naming
/// the file; after one failure every later call fails with kInvalidArgument.
class BundleWriter {
 public:
  /// Creates `OUT.tmp-XXXXXX` next to `out`, recording this process's pid in it (writers/temp_cleanup.h), after
  /// removing `OUT.tmp-*` directories of dead processes (removed_stale_temp_dirs). Fails with kInvalidArgument if
  /// `out` exists and !force, kIo if the temp directory cannot be made.
  static Result<std::unique_ptr<BundleWriter>> create(const std::string& out, BundleWriterOptions options = {});
  ~BundleWriter();
  BundleWriter(const BundleWriter&) = delete;
  BundleWriter& operator=(const BundleWriter&) = delete;

  /// The manifest under construction, for fields without a helper (chunk graphs, pass report).
  /// The writer owns magic, version, alignment, files and tensors and overwrites them.
  bundle::Manifest& manifest();
  void set_source(const std::string& checkpoint_name, uint64_t config_xxh3, uint64_t tensor_count);
  void set_config(const ModelConfig& config);
  /// Fails with kInvalidArgument for an unknown kind or a duplicate chunk name.
  Status add_chunk(const BundleChunkSpec& chunk);
  void add_coverage(const BundleCoverageEntry& entry);
  void add_pass_record(const std::string& pass, const std::string& summary);

  /// Declares a data file ("chunk_00.bin"). Fails on a bad or duplicate name.
  Status add_file(const std::string& name, BundleFileKind kind);
  /// Starts a tensor. Fails if a tensor is open, the name is a duplicate, or the shape is invalid.
  Status begin_tensor(const BundleTensorMeta& meta);
  /// Starts a segment of the open tensor in `file` (declared, not closed): pads the file to 64 bytes.
  Status begin_segment(const std::string& part, const std::string& file);
  /// Appends bytes to the open segment (row blocks). Fails with kIo naming the file.
  Status append(ByteSpan bytes);
  Status end_segment();
  /// Fails if a plain tensor's single "data" segment length is not shape x dtype bytes.
  Status end_tensor();
  /// begin_tensor + one "data" segment + end_tensor.
  Status write_tensor(const BundleTensorMeta& meta, const std::string& file, ByteSpan bytes);
  /// begin_tensor + one segment per (part, bytes) in order ("codes", "scales", "lut") + end_tensor.
  Status write_tensor_parts(const BundleTensorMeta& meta, const std::string& file,
                            const std::vector<std::pair<std::string, ByteSpan>>& parts);
  /// Completes a data file (ending its zstd frame if compressed); no more segments may go to it.
  Status close_file(const std::string& name);
  /// Copies `src_path` into the bundle as `name` ("config.json"), uncompressed, as a kConfig or kTokenizer
  /// file. Fails with kIo naming src_path.
  Status copy_file(const std::string& src_path, const std::string& name,
                   BundleFileKind kind = BundleFileKind::kConfig);

  /// Adds file `entry.name()` of an existing bundle (`src_path`) unchanged, for a bundle that rewrites only some
  /// files (requant): hard-linked into the temp directory (same inode, bytes and mtime), copied when the file
  /// system refuses the link. `entry` (kind, sizes, compression, checksum) is taken as given: the caller read it
  /// from a checked manifest. Segments of such a file are added with add_tensor_record. Fails on a bad or
  /// duplicate name, with kIo naming src_path.
  Status link_file(const std::string& src_path, const bundle::File& entry);
  /// Appends `record` as it is; every segment must name a file added with link_file (kInvalidArgument otherwise).
  Status add_tensor_record(const bundle::Tensor& record);
  /// begin_tensor with the metadata of `record` (name, role, tower, layer, chunk, dtype, encoding, shape; its
  /// segments are ignored): the caller then writes the segments again (begin_segment / append / end_segment).
  Status begin_tensor_like(const bundle::Tensor& record);

  /// Temp directories of dead writers that create() removed.
  const std::vector<std::string>& removed_stale_temp_dirs() const { return removed_stale_; }

  /// Closes all files, writes manifest.pb, zips if asked, and renames onto OUT. Returns OUT.
  Result<std::string> finish();

 private:
  struct DataFile;
  struct OpenSegment;
  BundleWriter(std::string out, std::string tmp_dir, BundleWriterOptions options);
  Error fail(Error error);
  Status check_usable() const;
  Result<DataFile*> find_open_file(const std::string& name);
  Status write_to(DataFile& file, const uint8_t* data, uint64_t size);
  Status publish();
  Status write_manifest();
  void fill_manifest_files();
  Status add_data_file(const std::string& name, int kind);
  Status pad_to_alignment(DataFile& file);
  Status place_file(const std::string& src_path, const std::string& dst_path);

  std::string out_;
  std::string tmp_dir_;
  BundleWriterOptions options_;
  std::unique_ptr<bundle::Manifest> manifest_;
  std::vector<std::unique_ptr<DataFile>> files_;
  std::map<std::string, size_t> file_index_;
  std::map<std::string, size_t> tensor_index_;
  std::unique_ptr<OpenSegment> segment_;
  int open_tensor_ = -1;      ///< index into manifest tensors, -1: none
  bool failed_ = false;
  bool finished_ = false;
  std::vector<std::string> removed_stale_;
};

/// XXH3-64 of a byte range (the checksum of segments and files).
uint64_t bundle_xxh3(ByteSpan bytes);

}  // namespace hfb
