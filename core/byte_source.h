// ByteSource: read (offset, size) from wherever bytes live (after ExecuTorch DataLoader).
// Parsers take a ByteSource, so they run the same on an mmapped file and on fuzzer input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace hfb {

struct ByteSpan {
  const uint8_t* data = nullptr;
  uint64_t size = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  /// Path for messages ("<memory>" for in-memory sources).
  virtual const std::string& path() const = 0;
  /// A view of bytes [offset, offset + size), valid while the source lives.
  /// Fails with kInvalidFile (naming path and offset) if the range is outside the source.
  virtual Result<ByteSpan> read(uint64_t offset, uint64_t size) const = 0;
  /// Hint that [offset, offset + size) has been consumed and its pages may be dropped (streaming).
  virtual void release(uint64_t /*offset*/, uint64_t /*size*/) const {}
  /// kInvalidFile "changed while being read" when the bytes behind earlier views became unreadable (a mapped
  /// file truncated underneath: the views then read zeros). Callers check it after consuming views.
  virtual Status check_intact() const { return ok_status(); }
};

/// A read-only memory map of a whole file. Empty files are valid (size 0).
class MmapFile final : public ByteSource {
 public:
  /// Fails with kNotFound / kIo naming the path, kInvalidFile for something that is not a regular file
  /// (a FIFO, device or socket is refused without blocking in open()).
  static Result<std::shared_ptr<MmapFile>> open(const std::string& path);
  ~MmapFile() override;
  MmapFile(const MmapFile&) = delete;
  MmapFile& operator=(const MmapFile&) = delete;

  uint64_t size() const override { return size_; }
  const std::string& path() const override { return path_; }
  /// Fails as ByteSource::read, and with kInvalidFile once the file changed while being read.
  Result<ByteSpan> read(uint64_t offset, uint64_t size) const override;
  void release(uint64_t offset, uint64_t size) const override;
  Status check_intact() const override;

 private:
  MmapFile(std::string path, const uint8_t* data, uint64_t size);
  std::string path_;
  const uint8_t* data_;
  uint64_t size_;
  int guard_slot_ = -1;  ///< core/mapped_guard slot: a SIGBUS in the mapping marks it
};

/// The whole content of a small regular file (config, JSON, prompt list). Never blocks on a FIFO. Fails as
/// MmapFile::open, with kLimit above `max_bytes` (naming the limit) and kInvalidFile if it changed while read.
Result<std::string> read_small_file(const std::string& path, uint64_t max_bytes, const char* limit_name);
/// Whether `path` names an existing regular file (stat, follows symlinks; never opens it).
bool is_regular_file(const std::string& path);

/// Bytes held in memory (tests, fuzzers, generated checkpoints).
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::vector<uint8_t> bytes, std::string path = "<memory>")
      : bytes_(std::move(bytes)), path_(std::move(path)) {}
  uint64_t size() const override { return bytes_.size(); }
  const std::string& path() const override { return path_; }
  Result<ByteSpan> read(uint64_t offset, uint64_t size) const override;

 private:
  std::vector<uint8_t> bytes_;
  std::string path_;
};

}  // namespace hfb
