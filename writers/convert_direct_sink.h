// A WriteSink for convert's large data files: O_DIRECT writes from one reused aligned buffer, bypassing the
// page cache (no kernel copy into fresh page-cache pages, no cache pollution by gigabytes of output).
#pragma once

#include <memory>
#include <string>

#include "core/error.h"
#include "writers/bundle_sink.h"

namespace hfb {

/// Largest single O_DIRECT write (a multiple of the 4096-byte alignment).
constexpr uint64_t kDirectSinkBufferBytes = 4ull << 20;

/// A new regular file at `path` (O_CREAT | O_EXCL, 0644) written with O_DIRECT: each write() sends the
/// whole 4096-byte blocks it completes through a staging buffer of kDirectSinkBufferBytes taken from a
/// process-wide pool (held only during the call), and keeps the rest (< 4096 bytes) for the next; close()
/// writes the last block padded and truncates the file to the exact size. Where the file system refuses O_DIRECT it writes through the page cache instead (same
/// bytes). Fails with kIo naming the path (create), and write()/close() with kIo naming the path and the
/// byte offset (ENOSPC says "disk full?").
Result<std::unique_ptr<WriteSink>> open_direct_file_sink(const std::string& path);

}  // namespace hfb
