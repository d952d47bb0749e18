// Streaming (SAX) parse of tokenizer.json: model.vocab and model.merges go straight into vectors (the 33 MB
// Gemma file would take ~0.8 s as a DOM); every other member is small and kept as a DOM. Internal to readers/.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace hfb::tokenizer {

struct TokenizerJsonParts {
  nlohmann::json rest;  ///< the document with model.vocab and model.merges removed
  std::vector<std::pair<std::string, int64_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
  bool has_vocab = false;
  bool has_merges = false;
};

/// Deepest nesting a tokenizer.json needs (root -> post_processor -> single -> item -> SpecialToken -> id).
constexpr int kMaxTokenizerJsonDepth = 16;

/// Fails with kInvalidFile (byte offset) for malformed JSON, a vocab value that is not a non-negative integer,
/// a merge that is not "a b" or ["a","b"]; kLimit for nesting deeper than kMaxTokenizerJsonDepth.
Result<TokenizerJsonParts> parse_tokenizer_json_parts(std::string_view text, const std::string& path);

}  // namespace hfb::tokenizer
