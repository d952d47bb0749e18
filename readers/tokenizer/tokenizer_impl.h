// Internal state of a compiled Tokenizer (readers/tokenizer only): vocab maps, merge ranks, added-token tries.
#pragma once

#include <array>
#include <deque>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/error.h"
#include "readers/tokenizer/flat_map.h"
#include "readers/tokenizer/tokenizer_spec.h"

namespace hfb::tokenizer {

/// Leftmost-longest matcher over a set of strings (added token contents), byte-wise from code point starts.
class AddedTokenTrie {
 public:
  void insert(std::string_view content, int32_t value);
  bool empty() const { return nodes_.size() <= 1; }
  /// Longest match starting at text[pos]: sets *value and returns its length, or returns 0.
  size_t match(std::string_view text, size_t pos, int32_t* value) const;
  bool may_start(unsigned char byte) const { return first_bytes_[byte]; }

 private:
  std::vector<int32_t> nodes_{-1};  // node -> value (-1: no token ends here)
  std::unordered_map<uint64_t, int32_t> edges_;  // (node << 8 | byte) -> child
  std::array<bool, 256> first_bytes_{};
};

/// Word -> ids of its BPE, bounded (entries stop being added when full). Keys live in a deque (stable), so
/// lookups take a string_view without allocating.
class WordCache {
 public:
  const std::vector<int32_t>* find(std::string_view word) const {
    const int32_t* index = index_.find(word);
    return index ? &values_[*index] : nullptr;
  }
  void insert(std::string_view word, std::vector<int32_t> ids, size_t max_entries) {
    if (values_.size() >= max_entries) return;
    keys_.emplace_back(word);
    if (!index_.insert(keys_.back(), static_cast<int32_t>(values_.size()))) {
      keys_.pop_back();
      return;
    }
    values_.push_back(std::move(ids));
  }

 private:
  std::deque<std::string> keys_;
  std::vector<std::vector<int32_t>> values_;
  StringIdMap index_;
};

struct MergeEntry {
  int32_t rank = 0;
  int32_t merged = 0;
};

/// A piece of text between added tokens: either an added token (index into added) or text to tokenize.
struct Section {
  std::string_view text;
  int32_t added = -1;
};

struct TokenizerImpl {
  TokenizerSpec spec;  // components; spec.vocab stays (model_ids views it), merges are dropped after compiling
  StringIdMap model_ids;                                   // model.vocab (keys view spec.vocab)
  std::unordered_map<std::string, int32_t> added_ids;      // added content (and normalized content) -> id
  std::unordered_map<std::string, int32_t> added_index;    // same keys -> index in spec.added_tokens
  std::unordered_map<uint32_t, int32_t> char_ids;          // single-code-point model tokens
  U64Map<MergeEntry> merges;                               // (left << 32 | right) -> rank, merged id
  std::unordered_set<uint64_t> glued_pairs;                // (cp << 32 | split cp) occurring in a merge result
  std::vector<std::string> id_to_token;                    // output ids (added tokens override)
  std::vector<uint8_t> special;                            // output id -> special flag
  std::vector<int32_t> output_id;                          // model id -> output id
  std::array<int32_t, 256> byte_ids{};                     // <0xHH> -> id, -1 if absent
  int32_t unk_id = -1;
  int64_t model_vocab_size = 0;
  int64_t num_merges = 0;
  AddedTokenTrie unnormalized_trie;
  AddedTokenTrie normalized_trie;
  std::vector<int32_t> prefix_ids;
  std::vector<int32_t> suffix_ids;
  mutable WordCache word_cache;

  Status encode_text(std::string_view text, std::vector<int32_t>* out) const;
  std::string normalize(std::string_view text) const;
  Status encode_section_text(std::string_view text, std::vector<int32_t>* out) const;
  Status encode_pre_token(std::string_view piece, std::vector<int32_t>* out) const;
  Status bpe_segment(std::string_view segment, std::vector<int32_t>* out) const;
  Status emit_unknown(std::string_view symbol, std::vector<int32_t>* out) const;
};

/// Splits `text` at leftmost-longest matches of `trie`; applies lstrip/rstrip of matched tokens to neighbours.
std::vector<Section> split_added_tokens(std::string_view text, const AddedTokenTrie& trie,
                                        const std::vector<AddedTokenSpec>& added);

}  // namespace hfb::tokenizer
