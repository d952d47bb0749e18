// TextTokenizer: a Tokenizer plus what the checkpoint says around it: tokenizer_config.json (bos/eos/pad,
// add_bos_token, chat template), chat_template.jinja, generation_config.json (stop ids), and the Gemma turn
// format detected from the vocab.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "readers/tokenizer/tokenizer.h"

namespace hfb::tokenizer {

/// The turn markup of a chat prompt.
enum class ChatFormat {
  kNone,    ///< the vocab has no turn tokens: --chat is refused
  kGemma4,  ///< <|turn>user\n...<turn|>\n<|turn>model\n
  kGemma3,  ///< <start_of_turn>user\n...<end_of_turn>\n<start_of_turn>model\n
};
const char* chat_format_name(ChatFormat format);

struct TextTokenizer {
  explicit TextTokenizer(Tokenizer t) : tokenizer(std::move(t)) {}
  Tokenizer tokenizer;
  std::string tokenizer_json_path;
  std::optional<int32_t> bos_id;
  std::optional<int32_t> eos_id;
  std::optional<int32_t> pad_id;
  bool add_bos = false;  ///< what encode(..., add_special_tokens=true) prepends, after tokenizer_config
  std::string chat_template;         ///< chat_template.jinja, else tokenizer_config's chat_template ("" if none)
  ChatFormat chat_format = ChatFormat::kNone;
  std::optional<int32_t> end_of_turn_id;  ///< <turn|> or <end_of_turn>
  std::vector<int32_t> stop_ids;          ///< generation_config eos ids (or eos), plus the end-of-turn id
};

/// Loads from a directory holding tokenizer.json (checkpoint, bundle directory or tokenizer directory), a GGUF
/// file (its tokenizer.ggml.* keys, readers/tokenizer/gguf_tokenizer.h) or from a tokenizer.json path (then its directory's tokenizer_config.json etc. are used when present). Fails with
/// kNotFound when there is no tokenizer.json, and as Tokenizer::load; kInvalidFile for a malformed
/// tokenizer_config.json / generation_config.json or a special token it names that the vocab lacks.
Result<TextTokenizer> load_text_tokenizer(const std::string& path);

/// The chat format detected from the vocabulary and its end-of-turn id added to stop_ids (the last step of every
/// loader).
void finish_text_tokenizer(TextTokenizer* out);

/// bos + the one-message user turn + the opening of the model turn, in the detected format. Fails with
/// kUnsupported when the vocab has no turn tokens.
Result<std::vector<int32_t>> encode_chat_prompt(const TextTokenizer& text_tokenizer, std::string_view message);

/// The chat prompt as text (bos token string included), as a chat template would render it.
Result<std::string> render_chat_prompt(const TextTokenizer& text_tokenizer, std::string_view message);

}  // namespace hfb::tokenizer
