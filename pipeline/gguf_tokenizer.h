// The `tokenizer.ggml.*` keys of a Gemma 4 GGUF from a checkpoint's tokenizer.json (tokens, scores, token types,
// merges, special ids, chat template), or a synthesised byte-level vocabulary when the checkpoint has none.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/model_config.h"
#include "formats/gguf_format.h"

namespace hfb {

struct GgufTokenizerResult {
  gguf::Metadata metadata;            ///< tokenizer.ggml.* and tokenizer.chat_template, in the converter's order
  bool synthesised = false;           ///< no tokenizer.json: a byte-level vocabulary was made up
  std::vector<std::string> warnings;  ///< renamed duplicates, ids beyond the embedding, the synthesised vocabulary
};

/// Builds the tokenizer keys for a model whose token embedding has `vocab_size` rows. `dir` is where
/// tokenizer.json / tokenizer_config.json / chat_template.jinja live: a checkpoint directory, or a bundle
/// (directory or zip: its stored files) ("" or no tokenizer.json: synthesised, see
/// docs/gguf.md). Tokens are one per id (ids the tokenizer lacks become `<unusedN>`), unique (a repeated string is
/// renamed with a warning: llama.cpp aborts on duplicates), merges never absent. Fails like load_text_tokenizer and
/// parse_tokenizer_json for a tokenizer.json that does not load.
Result<GgufTokenizerResult> gguf_tokenizer_metadata(const std::string& dir, int vocab_size,
                                                    const GenerationConfig& generation);

}  // namespace hfb
