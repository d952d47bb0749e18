// The reference-logits file of `hfbundle eval --save-reference F / --reference F` (format hfbundle-eval-reference/1,
// docs/formats/eval-reference.md): the reference model's logits at every position of every evaluated sequence,
// written once and reused, as llama.cpp's --kl-divergence-base. Streamed both ways (one sequence in memory).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_source.h"
#include "core/error.h"
#include "runtime/session.h"

namespace hfb {

constexpr char kEvalReferenceMagic[8] = {'H', 'F', 'B', 'E', 'V', 'R', 'E', 'F'};
constexpr uint32_t kEvalReferenceVersion = 1;
constexpr uint32_t kEvalReferenceHeaderBytes = 64;

/// What identifies a reference file: the model it was recorded from and the sequences it covers.
struct EvalReferenceInfo {
  uint64_t model_fingerprint = 0;  ///< of the reference model (pipeline/eval.h: eval_model_fingerprint)
  int64_t vocab_size = 0;
  int64_t num_layers = 0;
  std::string label;  ///< the reference's path, for messages
  std::vector<std::vector<int64_t>> sequences;
};

/// Writes a reference file through a temporary name in the same directory: create, one append per sequence in
/// order, then commit (checksum patched in, fsync, rename). Dropping it uncommitted removes the temporary file.
class EvalReferenceWriter {
 public:
  /// Fails with kIo naming the path, kInvalidArgument for an empty sequence list or a vocab < 1.
  static Result<std::unique_ptr<EvalReferenceWriter>> create(const std::string& path, const EvalReferenceInfo& info);
  ~EvalReferenceWriter();
  /// Appends the next sequence's logits [L, V]. Fails with kInvalidArgument when the shape is not the next
  /// sequence's, kIo on a write error.
  Status append(const Matrix& logits);
  /// Fails with kInvalidArgument when sequences are missing, kIo naming the path.
  Status commit();

 private:
  EvalReferenceWriter() = default;
  std::string path_, temp_path_;
  std::FILE* file_ = nullptr;
  EvalReferenceInfo info_;
  size_t next_ = 0;
  uint64_t checksum_ = 0;
};

/// A validated reference file, mapped; logits are read one sequence at a time.
class EvalReferenceFile {
 public:
  /// Checks magic, version, header length, every count against the file size and limits (vocab, prompts,
  /// positions) before allocating, the ids against the vocab and the checksum. Fails with kNotFound / kIo for an
  /// unreadable file and kInvalidFile naming the path and the field otherwise ("truncated", "checksum mismatch").
  static Result<EvalReferenceFile> open(const std::string& path);
  const EvalReferenceInfo& info() const { return info_; }
  /// Sequence `index`'s logits [L, V]. Fails like ByteSource::read (kInvalidFile if the file changed).
  Result<Matrix> logits(size_t index) const;

 private:
  std::shared_ptr<MmapFile> file_;
  EvalReferenceInfo info_;
  std::vector<uint64_t> offsets_;  ///< byte offset of each sequence's logits
};

/// FNV-1a 64 of `size` bytes continuing from `hash` (start with kFnvOffset). Never fails.
constexpr uint64_t kFnvOffset = 1469598103934665603ull;
uint64_t fnv1a64(const void* data, size_t size, uint64_t hash);

}  // namespace hfb
