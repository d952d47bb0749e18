// UTF-8 helpers for the tokenizer (see utf8.h).
#include "readers/tokenizer/utf8.h"

namespace hfb::tokenizer {
namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Bounds of the second byte for a lead byte (Unicode Table 3-7): excludes overlongs and surrogates.
bool second_byte_ok(unsigned char lead, unsigned char second) {
  if (lead == 0xE0) return second >= 0xA0 && second <= 0xBF;
  if (lead == 0xED) return second >= 0x80 && second <= 0x9F;
  if (lead == 0xF0) return second >= 0x90 && second <= 0xBF;
  if (lead == 0xF4) return second >= 0x80 && second <= 0x8F;
  return is_continuation(second);
}

size_t expected_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Number of bytes of the (possibly truncated) sequence at pos that are a valid prefix: the maximal subpart.
size_t valid_prefix_length(std::string_view text, size_t pos, size_t want) {
  size_t have = 1;
  while (have < want && pos + have < text.size()) {
    auto byte = static_cast<unsigned char>(text[pos + have]);
    bool ok = have == 1 ? second_byte_ok(static_cast<unsigned char>(text[pos]), byte) : is_continuation(byte);
    if (!ok) break;
    ++have;
  }
  return have;
}

}  // namespace

size_t utf8_sequence_length(std::string_view text, size_t pos) {
  auto lead = static_cast<unsigned char>(text[pos]);
  size_t want = expected_length(lead);
  if (want <= 1) return want;
  if (pos + want > text.size()) return 0;
  return valid_prefix_length(text, pos, want) == want ? want : 0;
}

std::string utf8_lossy(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = utf8_sequence_length(text, pos);
    if (length > 0) {
      out.append(text.data() + pos, length);
      pos += length;
      continue;
    }
    size_t want = expected_length(static_cast<unsigned char>(text[pos]));
    pos += want == 0 ? 1 : valid_prefix_length(text, pos, want);
    out += "\xEF\xBF\xBD";
  }
  return out;
}

bool utf8_is_valid(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    size_t length = utf8_sequence_length(text, pos);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

size_t utf8_complete_prefix(std::string_view text) {
  // Look back at most 3 bytes for a lead byte whose sequence is a valid but incomplete prefix.
  for (size_t back = 1; back <= 3 && back <= text.size(); ++back) {
    size_t pos = text.size() - back;
    size_t want = expected_length(static_cast<unsigned char>(text[pos]));
    if (want == 0 && is_continuation(static_cast<unsigned char>(text[pos]))) continue;
    if (want > back && valid_prefix_length(text, pos, want) == back) return pos;
    break;
  }
  return text.size();
}

uint32_t utf8_decode_at(std::string_view text, size_t pos, size_t length) {
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(text[pos + i])); };
  switch (length) {
    case 1: return byte(0);
    case 2: return ((byte(0) & 0x1F) << 6) | (byte(1) & 0x3F);
    case 3: return ((byte(0) & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
    default:
      return ((byte(0) & 0x07) << 18) | ((byte(1) & 0x3F) << 12) | ((byte(2) & 0x3F) << 6) | (byte(3) & 0x3F);
  }
}

void utf8_append(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

bool is_js_whitespace(uint32_t c) {
  if (c == 0x09 || c == 0x0A || c == 0x0B || c == 0x0C || c == 0x0D || c == 0x20) return true;
  if (c == 0xA0 || c == 0x1680 || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F) return true;
  if (c == 0x3000 || c == 0xFEFF) return true;
  return c >= 0x2000 && c <= 0x200A;
}

std::string_view js_trim_start(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = utf8_sequence_length(text, pos);
    if (length == 0 || !is_js_whitespace(utf8_decode_at(text, pos, length))) break;
    pos += length;
  }
  return text.substr(pos);
}

std::string_view js_trim_end(std::string_view text) {
  size_t end = text.size();
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && is_continuation(static_cast<unsigned char>(text[start]))) --start;
    size_t length = utf8_sequence_length(text, start);
    if (length != end - start || !is_js_whitespace(utf8_decode_at(text, start, length))) break;
    end = start;
  }
  return text.substr(0, end);
}

}  // namespace hfb::tokenizer
