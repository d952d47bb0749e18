// StreamDecoder: text of generated ids as they arrive, never splitting a UTF-8 character across pieces
// (byte-fallback tokens carry one byte each).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "readers/tokenizer/tokenizer.h"

namespace hfb::tokenizer {

class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  /// Adds one id; returns the new complete text (possibly empty while a character is incomplete).
  /// Fails with kInvalidArgument for an id that names no token.
  Result<std::string> push(int32_t id);
  /// Text still held back (an incomplete character becomes U+FFFD, as a final decode would).
  std::string finish();

 private:
  const Tokenizer& tokenizer_;
  std::vector<int32_t> ids_;
  std::string raw_;     // decode_bytes of ids_
  size_t emitted_ = 0;  // bytes of raw_ already returned
};

}  // namespace hfb::tokenizer
