// JSON front end shared by the safetensors header and index parsers: bounded nesting, parse errors with
// byte offsets, duplicate keys rejected (nlohmann::json would silently keep the last one). Internal to readers/.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace hfb::safetensors_json {

/// Deepest nesting either format needs is 3 (root -> entry -> shape); anything deeper is hostile.
constexpr int kMaxJsonDepth = 8;

struct JsonDocument {
  nlohmann::json root;
  /// Keys found at nesting depth `key_depth` (1: members of the root object) -> absolute byte offset of
  /// the key's opening quote in the file. The first occurrence wins (duplicates are rejected anyway).
  std::map<std::string, uint64_t> key_offsets;
};

/// Parse `text`, which starts at absolute offset `base_offset` of file `path`. Fails with kInvalidFile
/// (offset of the bad byte) for malformed JSON, non-UTF-8 strings, a root that is not an object or a
/// duplicate key at any depth; with kLimit for nesting deeper than kMaxJsonDepth, more than `max_members`
/// members in the root object (counted before the DOM is built) or running out of memory.
/// `what` names the document in messages ("header", "index").
Result<JsonDocument> parse_json_document(std::string_view text, const std::string& path,
                                         uint64_t base_offset, int key_depth, const char* what,
                                         uint64_t max_members = UINT64_MAX);

/// JSON type name for "expected X, got Y" messages ("string", "array", "negative integer", ...).
std::string json_type_name(const nlohmann::json& value);

}  // namespace hfb::safetensors_json
