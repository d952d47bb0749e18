// tokenizer.json front end: bytes -> TokenizerSpec. Only the component types Gemma checkpoints use are
// accepted; any other type is refused by name (kUnsupported).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "readers/tokenizer/tokenizer_spec.h"

namespace hfb::tokenizer {

/// Largest tokenizer.json accepted (the Gemma 3/4 files are ~33 MB).
constexpr uint64_t kMaxTokenizerJsonBytes = 512ull << 20;

/// Parses the text of a tokenizer.json. Fails with kInvalidFile (malformed JSON, wrong member types, with the
/// member named), kUnsupported (a model/normalizer/pre-tokenizer/decoder/post-processor type or option other
/// than BPE, Replace, Strip, Split, Sequence, ByteFallback, Fuse, TemplateProcessing), kLimit (nesting).
Result<TokenizerSpec> parse_tokenizer_json(std::string_view text, const std::string& path);

}  // namespace hfb::tokenizer
