// Bounded whole-file reads for media and the RIFF chunk-walk that catches truncated WAV data.
#include "readers/media/media_file.h"

#include <cstdio>
#include <cstring>
#include <memory>

namespace hfb::media {
namespace {

uint32_t read_le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Result<std::vector<uint8_t>> read_media_file(const std::string& path, uint64_t max_bytes) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return Error(ErrorCode::kIo, std::string("cannot open media file: ") + std::strerror(errno)).with_path(path);
  if (std::fseek(file.get(), 0, SEEK_END) != 0) return Error(ErrorCode::kIo, "cannot seek media file").with_path(path);
  long end = std::ftell(file.get());
  if (end < 0) return Error(ErrorCode::kIo, "cannot tell the size of the media file").with_path(path);
  uint64_t size = static_cast<uint64_t>(end);
  if (size > max_bytes || size > kMaxMediaFileBytes) {
    return Error(ErrorCode::kLimit, "media file of " + std::to_string(size) + " bytes is larger than the limit " +
                                        std::to_string(std::min(max_bytes, kMaxMediaFileBytes)))
        .with_path(path);
  }
  std::rewind(file.get());
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0 && std::fread(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) {
    return Error(ErrorCode::kIo, "short read of media file").with_path(path);
  }
  return bytes;
}

Status check_wav_chunks(const uint8_t* data, size_t size, const std::string& name) {
  if (size < 4 || std::memcmp(data, "RIFF", 4) != 0) return ok_status();
  if (size < 12 || std::memcmp(data + 8, "WAVE", 4) != 0) {
    return Error(ErrorCode::kInvalidFile, "audio: RIFF header cut short or not WAVE (" + std::to_string(size) +
                                              " bytes). Perhaps a truncated file?")
        .with_path(name);
  }
  size_t pos = 12;
  while (pos + 8 <= size) {
    uint64_t chunk = read_le32(data + pos + 4);
    if (std::memcmp(data + pos, "data", 4) == 0) {
      if (pos + 8 + chunk > size) {
        return Error(ErrorCode::kInvalidFile, "audio: WAV data chunk claims " + std::to_string(chunk) +
                                                  " bytes, the file has " + std::to_string(size - pos - 8) +
                                                  " after its header. Perhaps a truncated file?")
            .with_path(name)
            .with_offset(pos);
      }
      return ok_status();
    }
    pos += 8 + chunk + (chunk & 1);
  }
  return Error(ErrorCode::kInvalidFile, "audio: WAV file has no data chunk. Perhaps a truncated file?").with_path(name);
}

}  // namespace hfb::media
