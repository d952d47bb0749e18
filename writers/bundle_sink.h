// WriteSink: where the bundle writer's bytes go (a POSIX file, or a failing sink injected by tests).
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

/// Opens a new sink for `path`; the writer calls it once per output file.
using SinkFactory = std::function<Result<std::unique_ptr<WriteSink>>(const std::string& path)>;

/// A new regular file at `path` (O_CREAT | O_EXCL, 0644). Fails with kIo naming the path.
Result<std::unique_ptr<WriteSink>> open_file_sink(const std::string& path);

}  // namespace hfb
