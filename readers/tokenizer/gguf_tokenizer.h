// The tokenizer a GGUF carries (`tokenizer.ggml.*`, gguf-gemma4.md 2.2) as a TextTokenizer: the Gemma BPE a
// Hugging Face tokenizer.json describes, rebuilt from the token strings, types, merges and special ids.
#pragma once

#include "core/error.h"
#include "readers/gguf.h"
#include "readers/tokenizer/text_tokenizer.h"

namespace hfb::tokenizer {

/// Builds the Gemma-style BPE (spaces as U+2581, byte fallback from the BYTE tokens, CONTROL / USER_DEFINED /
/// UNUSED tokens as special added tokens, merges "left right") for `tokenizer.ggml.model` "gemma4" or "llama" with
/// merges; bos prepended when add_bos_token (llama.cpp forces it for gemma4); chat template from
/// tokenizer.chat_template. Fails with kUnsupported for another model or a vocabulary without merges,
/// kInvalidFile naming the key for a missing or mistyped key, and like Tokenizer::create (e.g. a merge whose
/// result is not a token: the synthetic vocabularies of llama.cpp's reference files have "▁ ▁" without "▁▁").
Result<TextTokenizer> gguf_text_tokenizer(const GgufFile& file);

}  // namespace hfb::tokenizer
