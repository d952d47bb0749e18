// Where a bundle's entries come from (a directory or a zip) and zstd decompression of data files.
#pragma once

#include <memory>
#include <string>

#include "core/byte_source.h"
#include "core/error.h"

namespace hfb {

/// The stored entries of a bundle, by name.
class BundleStore {
 public:
  virtual ~BundleStore() = default;
  /// Stored bytes of `name` (a directory file is mmapped; a zip entry is a window of the mapped zip after its
  /// CRC-32 was checked, or read into memory when it cannot be mapped). Fails with kNotFound if absent, kLimit if
  /// larger than `max_bytes`, kCheckFailed for a zip entry's CRC-32, kIo / kInvalidFile otherwise.
  virtual Result<std::shared_ptr<const ByteSource>> open_entry(const std::string& name, uint64_t max_bytes) const = 0;
  /// Bytes open_entry has copied into memory so far instead of mapping them (zip entries that cannot be mapped).
  virtual uint64_t bytes_copied() const { return 0; }
};

/// A zip bundle of `archive_bytes` (bundle_zip.cpp). Fails with kInvalidFile naming `path` if libzip cannot
/// open it, or like MmapFile::open.
Result<std::unique_ptr<BundleStore>> open_zip_store(const std::string& path, uint64_t archive_bytes);

/// A directory bundle, or a zip file. Fails with kNotFound / kIo / kInvalidFile naming `path`.
Result<std::unique_ptr<BundleStore>> open_bundle_store(const std::string& path, bool* is_zip);

/// kLimit naming `path` when a compressed file's raw size is above limits().max_file_bytes or above
/// stored_size x limits().max_compression_ratio + 1 MiB (checked before anything is decompressed).
Status check_zstd_ratio(uint64_t stored_size, uint64_t raw_size, const std::string& path);

/// Decompresses one zstd frame of exactly `raw_size` bytes. Fails with kInvalidFile naming the source
/// when the data is corrupt, is not one frame, or decodes to a different size.
Result<std::shared_ptr<const ByteSource>> decompress_zstd_source(const ByteSource& stored, uint64_t raw_size);

}  // namespace hfb
