// Tokenizer: a Hugging Face BPE tokenizer.json (as Gemma ships it) compiled for encoding and decoding.
// Encoding follows @huggingface/tokenizers (the JS port) id for id; see docs/tokenizer.md for the details and
// the few documented differences.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "readers/tokenizer/tokenizer_spec.h"

namespace hfb::tokenizer {

/// Largest token id accepted (hostile files): 2^24.
constexpr int64_t kMaxTokenId = int64_t{1} << 24;

struct TokenizerImpl;

class Tokenizer {
 public:
  /// Checks and compiles a spec. Fails with kInvalidFile (duplicate ids in model.vocab, ids beyond kMaxTokenId,
  /// merges naming tokens not in the vocab or making one that is not, an unk_token or template token that does
  /// not exist, two added tokens with one content), kUnsupported (added tokens with single_word=true).
  /// Added tokens may have ids beyond the model vocab and may repeat a model.vocab entry.
  static Result<Tokenizer> create(TokenizerSpec spec, const std::string& path);
  /// Reads, parses and compiles a tokenizer.json file; errors as parse_tokenizer_json and create, plus kIo.
  static Result<Tokenizer> load(const std::string& tokenizer_json_path);
  /// Parses and compiles the text of a tokenizer.json (`path` names it in errors).
  static Result<Tokenizer> from_json_text(std::string_view text, const std::string& path);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  /// Token ids of `text` (bytes that are not UTF-8 are first replaced by U+FFFD per maximal invalid subpart, as
  /// the JS reference's TextDecoder does). With add_special_tokens, the post-processor's template (or, when the
  /// tokenizer_config says so, bos/eos) is applied. Fails with kInvalidArgument only when a character has no
  /// token, no byte fallback and there is no unk token. Not thread-safe (a word cache is updated).
  Result<std::vector<int32_t>> encode(std::string_view text, bool add_special_tokens) const;

  /// Text of `ids` through the decoder chain (JS semantics: byte-fallback runs decoded with U+FFFD for invalid
  /// bytes). Fails with kInvalidArgument for an id that names no token.
  Result<std::string> decode(const std::vector<int32_t>& ids) const;

  /// Raw bytes of `ids` (byte-fallback bytes not yet validated as UTF-8): streaming decoders use this.
  Result<std::string> decode_bytes(const std::vector<int32_t>& ids) const;
  /// True when decode_bytes(a + b) == decode_bytes(a) + decode_bytes(b) (no Strip decoder): streaming can then
  /// decode one id at a time.
  bool decode_is_concatenative() const;

  std::optional<int32_t> token_id(std::string_view token) const;
  /// Token string of `id`, or nullptr.
  const std::string* token_text(int32_t id) const;
  bool is_special(int32_t id) const;

  int64_t vocab_size() const;        ///< largest id + 1 over model vocab and added tokens
  int64_t model_vocab_size() const;  ///< entries in model.vocab
  int64_t num_merges() const;
  int64_t num_added_tokens() const;
  bool byte_fallback() const;
  const std::vector<int32_t>& prefix_ids() const;  ///< added before the text with add_special_tokens
  const std::vector<int32_t>& suffix_ids() const;
  /// Overrides the post-processor: [bos] text [eos] (tokenizer_config's add_bos_token / add_eos_token).
  void set_special_wrapping(std::vector<int32_t> prefix, std::vector<int32_t> suffix);

 private:
  explicit Tokenizer(std::unique_ptr<TokenizerImpl> impl);
  std::unique_ptr<TokenizerImpl> impl_;
};

}  // namespace hfb::tokenizer
