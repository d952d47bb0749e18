// GgufCursor: bounds-checked little-endian reads over a GGUF's bytes for the reader. Every read names the field it
// reads, so a truncated or oversized field fails with the path, the byte offset and what was expected.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "core/byte_source.h"
#include "core/error.h"

namespace hfb::gguf_read {

class GgufCursor {
 public:
  GgufCursor(const std::string& path, ByteSpan bytes) : path_(path), bytes_(bytes) {}

  uint64_t pos() const { return pos_; }
  uint64_t left() const { return bytes_.size - pos_; }
  const std::string& path() const { return path_; }

  /// An error at the current offset (or `at`).
  Error error(ErrorCode code, std::string message) const { return error_at(code, std::move(message), pos_); }
  Error error_at(ErrorCode code, std::string message, uint64_t at) const {
    return Error(code, "gguf: " + std::move(message)).with_path(path_).with_offset(at);
  }

  /// kInvalidFile "truncated: <what> needs N bytes, M left" when fewer than `n` bytes remain.
  Status need(uint64_t n, const std::string& what) const {
    if (n <= left()) return ok_status();
    return error(ErrorCode::kInvalidFile, "truncated: " + what + " needs " + std::to_string(n) + " bytes, " +
                                              std::to_string(left()) + " left (incomplete download?)");
  }

  template <typename T>
  Result<T> read(const std::string& what) {
    HFB_TRY(need(sizeof(T), what));
    T v;
    std::memcpy(&v, bytes_.data + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  /// Copies `n` raw bytes (already checked against left() and the limits by the caller or here).
  Result<const uint8_t*> take(uint64_t n, const std::string& what) {
    HFB_TRY(need(n, what));
    const uint8_t* p = bytes_.data + pos_;
    pos_ += n;
    return p;
  }

  /// A u64 length + bytes string; the length is checked against `max_bytes` (kLimit) and the bytes left.
  Result<std::string> read_string(const std::string& what, uint64_t max_bytes) {
    const uint64_t at = pos_;
    HFB_TRY(uint64_t length, read<uint64_t>(what + " length"));
    if (length > max_bytes) {
      return error_at(ErrorCode::kLimit, what + " of " + std::to_string(length) + " bytes is above the limit of " +
                                             std::to_string(max_bytes), at);
    }
    if (length > left()) {
      return error_at(ErrorCode::kInvalidFile, what + " of " + std::to_string(length) + " bytes runs past the end of "
                                               "the file (" + std::to_string(left()) + " bytes left after its length)",
                      at);
    }
    std::string out(reinterpret_cast<const char*>(bytes_.data + pos_), length);
    pos_ += length;
    return out;
  }

 private:
  const std::string& path_;
  ByteSpan bytes_;
  uint64_t pos_ = 0;
};

}  // namespace hfb::gguf_read
