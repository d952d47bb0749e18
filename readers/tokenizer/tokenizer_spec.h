// TokenizerSpec: the parts of a Hugging Face tokenizer.json that hfbundle understands, as plain data.
// Filled by parse_tokenizer_json (tokenizer_json.cpp), checked and compiled by Tokenizer::create (tokenizer.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hfb::tokenizer {

/// One entry of "added_tokens". Ids may lie beyond the model vocab and may repeat a model.vocab entry.
struct AddedTokenSpec {
  int64_t id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool single_word = false;
};

/// A normalizer step (a "Sequence" is flattened into its steps).
struct NormalizerStep {
  enum class Kind { kReplace, kStrip } kind = Kind::kReplace;
  std::string pattern;  ///< kReplace: the literal "String" pattern
  std::string content;  ///< kReplace: its replacement
  bool strip_left = false;
  bool strip_right = false;
};

/// A pre-tokenizer step: Split on a literal string. behavior is one of "MergedWithPrevious", "Isolated",
/// "Removed", "MergedWithNext" (Rust tokenizers semantics).
struct PreTokenizerStep {
  std::string pattern;
  std::string behavior;
};

/// A decoder step (a "Sequence" is flattened).
struct DecoderStep {
  enum class Kind { kReplace, kByteFallback, kFuse, kStrip } kind = Kind::kFuse;
  std::string pattern;  ///< kReplace
  std::string content;  ///< kReplace: replacement; kStrip: the character stripped
  int64_t start = 0;    ///< kStrip
  int64_t stop = 0;     ///< kStrip
};

/// TemplateProcessing "single": special tokens before and after sequence A.
struct TemplateSpec {
  bool present = false;
  std::vector<std::string> prefix;  ///< SpecialToken ids (names) before A
  std::vector<std::string> suffix;  ///< after A
  std::map<std::string, std::vector<int64_t>> special_token_ids;  ///< "special_tokens": name -> ids
};

struct TokenizerSpec {
  std::vector<std::pair<std::string, int64_t>> vocab;          ///< model.vocab in file order
  std::vector<std::pair<std::string, std::string>> merges;     ///< model.merges, either form
  std::vector<AddedTokenSpec> added_tokens;
  std::vector<NormalizerStep> normalizers;
  std::vector<PreTokenizerStep> pre_tokenizers;
  std::vector<DecoderStep> decoders;
  TemplateSpec post_processor;
  std::string unk_token;  ///< empty: none
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

}  // namespace hfb::tokenizer
