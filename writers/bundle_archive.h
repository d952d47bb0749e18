// Whole-file steps of the bundle writer: zstd-compress a finished data file, zip a finished bundle.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "writers/bundle_sink.h"

namespace hfb {

struct CompressedFile {
  uint64_t stored_size = 0;   ///< compressed bytes written
  uint64_t stored_xxh3 = 0;   ///< XXH3-64 of those bytes
};

/// Streams `src_path` through ZSTD_compressStream2 (one frame, content size recorded, single-threaded so
/// the output is deterministic) into `sink`, then closes it. Fails with kIo naming the file at fault, or
/// kInvalidArgument for a level outside zstd's range.
Result<CompressedFile> compress_file_zstd(const std::string& src_path, uint64_t raw_size, int level,
                                          WriteSink& sink);

/// Writes `zip_path` holding `dir/<entry>` for each entry, in the given order, as stored (uncompressed)
/// entries with a fixed 1980-01-01 timestamp and 0644 attributes, so equal inputs give equal bytes.
/// Fails with kIo naming the zip or the entry; on failure no file is left at `zip_path`.
Status write_stored_zip(const std::string& dir, const std::vector<std::string>& entries,
                        const std::string& zip_path);

}  // namespace hfb
