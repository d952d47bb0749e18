// StreamDecoder (see stream_decoder.h): re-decodes the ids so far and returns the complete UTF-8 suffix.
#include "readers/tokenizer/stream_decoder.h"

#include "readers/tokenizer/utf8.h"

namespace hfb::tokenizer {

Result<std::string> StreamDecoder::push(int32_t id) {
  if (tokenizer_.decode_is_concatenative()) {  // linear: decode just this id
    HFB_TRY(std::string piece, tokenizer_.decode_bytes({id}));
    raw_ += piece;
    std::string_view tail = std::string_view(raw_).substr(emitted_);
    size_t complete = utf8_complete_prefix(tail);
    std::string out = utf8_lossy(tail.substr(0, complete));
    raw_.erase(0, emitted_ + complete);
    emitted_ = 0;
    return out;
  }
  ids_.push_back(id);
  auto raw = tokenizer_.decode_bytes(ids_);
  if (!raw.ok()) {
    ids_.pop_back();
    return std::move(raw).error();
  }
  // A decoder chain that rewrites earlier text (Strip at the end) is not prefix-stable: hold until finish().
  if (raw->size() < emitted_ || raw->compare(0, emitted_, raw_, 0, emitted_) != 0) return std::string();
  raw_ = std::move(*raw);
  std::string_view tail = std::string_view(raw_).substr(emitted_);
  size_t complete = utf8_complete_prefix(tail);
  emitted_ += complete;
  return utf8_lossy(tail.substr(0, complete));
}

std::string StreamDecoder::finish() {
  std::string_view tail = std::string_view(raw_).substr(std::min(emitted_, raw_.size()));
  emitted_ = raw_.size();
  return utf8_lossy(tail);
}

}  // namespace hfb::tokenizer
