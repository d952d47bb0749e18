// Reading a whole media file into memory, bounded, and the RIFF/WAVE chunk check libsndfile does not make.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace hfb::media {

/// Largest media file read (bytes).
constexpr uint64_t kMaxMediaFileBytes = uint64_t{1} << 30;

/// The bytes of `path`. Fails with kIo (cannot open/read), kLimit (larger than kMaxMediaFileBytes).
Result<std::vector<uint8_t>> read_media_file(const std::string& path, uint64_t max_bytes = kMaxMediaFileBytes);

/// For RIFF/WAVE bytes: fails with kInvalidFile when the RIFF header is cut or the `data` chunk claims more bytes
/// than the file holds (libsndfile would silently read the shorter data). Other bytes pass unchecked.
Status check_wav_chunks(const uint8_t* data, size_t size, const std::string& name);

}  // namespace hfb::media
