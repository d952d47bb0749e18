// What `hfbundle inspect` shows about a checkpoint's or bundle's tokenizer (type, vocab, specials, chat format).
#pragma once

#include <string>

#include "readers/tokenizer/text_tokenizer.h"

namespace hfb::tokenizer {

/// "tokenizer: BPE (byte fallback), vocab 262145 (model 262144 + 6415 added), 514906 merges\n  ..." lines.
std::string tokenizer_summary_text(const TextTokenizer& t);
/// The same as one JSON object (text).
std::string tokenizer_summary_json(const TextTokenizer& t);

}  // namespace hfb::tokenizer
