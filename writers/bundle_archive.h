// Whole-bundle step of the bundle writer: zip a finished bundle directory (zstd is streamed by ZstdSink).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace hfb {

/// Whether `path` is a zip file holding a `manifest.pb` entry (a zip bundle). Never fails.
bool is_zip_bundle(const std::string& path);

/// Writes `zip_path` holding `dir/<entry>` for each entry, in the given order, as stored (uncompressed)
/// entries with a fixed 1980-01-01 timestamp and 0644 attributes, so equal inputs give equal bytes.
/// Fails with kIo naming the zip or the entry; on failure no file is left at `zip_path`.
Status write_stored_zip(const std::string& dir, const std::vector<std::string>& entries,
                        const std::string& zip_path);

}  // namespace hfb
