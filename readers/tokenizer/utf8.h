// UTF-8 helpers for the tokenizer: WHATWG decoding (U+FFFD per maximal invalid subpart, as TextDecoder and
// Rust's from_utf8_lossy do), code point iteration, and the JavaScript notion of whitespace (String.trim).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hfb::tokenizer {

/// Length in bytes of the valid UTF-8 sequence starting at text[pos], or 0 if the bytes there are not one.
size_t utf8_sequence_length(std::string_view text, size_t pos);

/// `text` with every maximal invalid subpart replaced by U+FFFD (the WHATWG UTF-8 decode, non-fatal).
std::string utf8_lossy(std::string_view text);

/// True if `text` is valid UTF-8.
bool utf8_is_valid(std::string_view text);

/// Length of the longest prefix of `text` that does not end inside a UTF-8 sequence that could still be
/// completed by more bytes (streaming: hold the rest back until the next piece arrives).
size_t utf8_complete_prefix(std::string_view text);

/// Decodes the valid sequence at text[pos] (caller checked it with utf8_sequence_length).
uint32_t utf8_decode_at(std::string_view text, size_t pos, size_t length);

/// Appends the UTF-8 encoding of `code_point`.
void utf8_append(uint32_t code_point, std::string* out);

/// JavaScript's WhiteSpace + LineTerminator set (what String.prototype.trim removes).
bool is_js_whitespace(uint32_t code_point);

/// String.prototype.trimStart / trimEnd on valid UTF-8.
std::string_view js_trim_start(std::string_view text);
std::string_view js_trim_end(std::string_view text);

}  // namespace hfb::tokenizer
