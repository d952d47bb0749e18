// WriteSink: where the bundle writer's bytes go (a POSIX file, a failing sink injected by tests, or a
// streaming zstd compressor in front of either).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"

namespace hfb {

/// An append-only output file.
class WriteSink {
 public:
  virtual ~WriteSink() = default;
  /// Appends `size` bytes. Fails with kIo naming the file (ENOSPC, EIO, ...).
  virtual Status write(const uint8_t* data, uint64_t size) = 0;
  /// Flushes and closes. Fails with kIo naming the file. Further writes are a programmer error.
  virtual Status close() = 0;
};

/// The bytes a compressing sink handed to its inner sink.
struct StoredBytes {
  uint64_t size = 0;  ///< compressed bytes written
  uint64_t xxh3 = 0;  ///< XXH3-64 of those bytes (final once the sink is closed)
};

/// Compresses everything written to it, as it arrives, into one zstd frame (checksum flag on, no content
/// size since the total is not known up front, single-threaded so equal input gives equal bytes) and
/// writes the frame to `inner` in blocks of ZSTD_CStreamOutSize() bytes. No uncompressed copy exists.
class ZstdSink final : public WriteSink {
 public:
  /// Wraps `inner`, the sink of the compressed file `path` (used in errors). Fails with kInvalidArgument
  /// for a level outside 1..ZSTD_maxCLevel(), kIo naming `path` if zstd cannot be set up.
  static Result<std::unique_ptr<ZstdSink>> create(std::unique_ptr<WriteSink> inner, std::string path, int level);
  ~ZstdSink() override;
  ZstdSink(const ZstdSink&) = delete;
  ZstdSink& operator=(const ZstdSink&) = delete;

  /// Compresses `size` bytes (ZSTD_e_continue). Fails with kIo naming the file on a zstd error or a
  /// failed write of the inner sink.
  Status write(const uint8_t* data, uint64_t size) override;
  /// Ends the frame, writes what is left and closes the inner sink. Fails like write().
  Status close() override;
  /// What reached the inner sink so far.
  const StoredBytes& stored() const { return stored_; }

 private:
  struct Impl;
  ZstdSink(std::unique_ptr<Impl> impl, std::unique_ptr<WriteSink> inner, std::string path);
  Status flush();

  std::unique_ptr<Impl> impl_;
  std::unique_ptr<WriteSink> inner_;
  std::string path_;
  StoredBytes stored_;
};

/// Opens a new sink for `path`; the writer calls it once per output file.
using SinkFactory = std::function<Result<std::unique_ptr<WriteSink>>(const std::string& path)>;

/// A new regular file at `path` (O_CREAT | O_EXCL, 0644). Fails with kIo naming the path.
Result<std::unique_ptr<WriteSink>> open_file_sink(const std::string& path);

}  // namespace hfb
