// JSON front end for safetensors headers and indexes: nesting bound, located parse errors, duplicate keys.
#include "readers/safetensors_json.h"

#include <algorithm>
#include <new>
#include <set>
#include <vector>

namespace hfb::safetensors_json {
namespace {

using nlohmann::json;

/// Index of the quote closing the string that opens at text[open], or npos if it never closes.
size_t find_string_end(std::string_view text, size_t open) {
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i;
    }
  }
  return std::string_view::npos;
}

/// Rejects deep nesting, and more than `max_members` members of the root object, before nlohmann builds a DOM
/// of it. Works on any bytes (malformed or not).
Status check_nesting(std::string_view text, const std::string& path, uint64_t base_offset,
                     const char* what, uint64_t max_members) {
  int depth = 0;
  uint64_t members = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      i = find_string_end(text, i);
      if (i == std::string_view::npos) break;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) {
        return Error(ErrorCode::kLimit, std::string(what) + " JSON nests deeper than " +
                                            std::to_string(kMaxJsonDepth) + " levels (hostile file?)")
            .with_path(path)
            .with_offset(base_offset + i);
      }
    } else if (c == '}' || c == ']') {
      depth = std::max(0, depth - 1);
    } else if (c == ':' && depth == 1 && ++members > max_members) {
      return Error(ErrorCode::kLimit, std::string(what) + " lists more than " + std::to_string(max_members) +
                                          " entries (--limit tensors=N raises it)")
          .with_path(path)
          .with_offset(base_offset + i);
    }
  }
  return ok_status();
}

std::string clean_exception_text(const char* what) {
  std::string s(what);
  // "[json.exception.parse_error.101] parse error at ..." -> "parse error at ..."
  const size_t close = s.find("] ");
  if (!s.empty() && s[0] == '[' && close != std::string::npos) s.erase(0, close + 2);
  return s;
}

struct ObjectFrame {
  bool is_object = false;
  bool expect_key = false;
  std::set<std::string> keys;
};

std::string decode_key(std::string_view literal) {
  if (literal.find('\\') == std::string_view::npos) {
    return std::string(literal.substr(1, literal.size() - 2));
  }
  return json::parse(literal.begin(), literal.end()).get<std::string>();
}

/// Second pass over text nlohmann accepted: find every object key, reject duplicates (compared
/// decoded, as JSON does), and remember where the keys at `key_depth` are.
Status scan_keys(std::string_view text, const std::string& path, uint64_t base_offset, int key_depth,
                 const char* what, JsonDocument& doc) {
  std::vector<ObjectFrame> stack;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' || c == '[') {
      stack.push_back(ObjectFrame{c == '{', c == '{', {}});
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
    } else if (c == ',') {
      if (!stack.empty() && stack.back().is_object) stack.back().expect_key = true;
    } else if (c == '"') {
      const size_t end = find_string_end(text, i);
      if (end == std::string_view::npos) break;  // cannot happen: nlohmann accepted the text
      if (!stack.empty() && stack.back().expect_key) {
        std::string key = decode_key(text.substr(i, end - i + 1));
        const uint64_t offset = base_offset + i;
        if (!stack.back().keys.insert(key).second) {
          return Error(ErrorCode::kInvalidFile,
                       std::string(what) + " has duplicate key '" + key +
                           "' (JSON readers silently keep only one of them; corrupt or hand-edited file?)")
              .with_path(path)
              .with_offset(offset);
        }
        if (static_cast<int>(stack.size()) == key_depth) doc.key_offsets.emplace(std::move(key), offset);
        stack.back().expect_key = false;
      }
      i = end;
    }
  }
  return ok_status();
}

}  // namespace

std::string json_type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "object";
    case json::value_t::array: return "array";
    case json::value_t::string: {
      std::string s = value.get<std::string>();
      if (s.size() > 64) s = s.substr(0, 61) + "...";
      return "string '" + s + "'";
    }
    case json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case json::value_t::number_integer: return "integer " + value.dump();
    case json::value_t::number_unsigned: return "integer " + value.dump();
    case json::value_t::number_float: return "number " + value.dump();
    case json::value_t::binary: return "binary";
    case json::value_t::discarded: return "discarded";
  }
  return "unknown";
}

/// " (corrupt, truncated or not a safetensors file?)" for a header; a JSON file's own wording otherwise.
static std::string likely_cause(const char* what, bool syntax) {
  if (std::string(what) == "header") {
    return syntax ? " (corrupt, truncated or not a safetensors file?)" : " (not a safetensors file?)";
  }
  return syntax ? " (a JSON syntax error: edited by hand, truncated download?)" : " (expected a JSON object)";
}

Result<JsonDocument> parse_json_document(std::string_view text, const std::string& path,
                                         uint64_t base_offset, int key_depth, const char* what,
                                         uint64_t max_members) {
  HFB_TRY(check_nesting(text, path, base_offset, what, max_members));
  JsonDocument doc;
  try {
    doc.root = json::parse(text.begin(), text.end());
    if (!doc.root.is_object()) {
      return Error(ErrorCode::kInvalidFile, std::string(what) + " must be a JSON object, got " +
                                                json_type_name(doc.root) + likely_cause(what, false))
          .with_path(path)
          .with_offset(base_offset);
    }
    HFB_TRY(scan_keys(text, path, base_offset, key_depth, what, doc));
  } catch (const json::parse_error& e) {
    const uint64_t at = std::min<uint64_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    return Error(ErrorCode::kInvalidFile, std::string(what) + " is not valid JSON: " +
                                              clean_exception_text(e.what()) +
                                              likely_cause(what, true))
        .with_path(path)
        .with_offset(base_offset + at);
  } catch (const json::exception& e) {
    return Error(ErrorCode::kInvalidFile,
                 std::string(what) + " is not valid JSON: " + clean_exception_text(e.what()))
        .with_path(path)
        .with_offset(base_offset);
  } catch (const std::bad_alloc&) {
    return Error(ErrorCode::kLimit, std::string(what) + " JSON is too large to hold in memory")
        .with_path(path)
        .with_offset(base_offset);
  }
  return doc;
}

}  // namespace hfb::safetensors_json
