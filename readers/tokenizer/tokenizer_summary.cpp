// tokenizer_summary_text / _json (see tokenizer_summary.h).
#include "readers/tokenizer/tokenizer_summary.h"

#include <nlohmann/json.hpp>

namespace hfb::tokenizer {
namespace {

std::string token_label(const Tokenizer& t, const std::optional<int32_t>& id) {
  if (!id) return "none";
  const std::string* text = t.token_text(*id);
  return (text ? *text : std::string("?")) + " = " + std::to_string(*id);
}

}  // namespace

std::string tokenizer_summary_text(const TextTokenizer& t) {
  const Tokenizer& k = t.tokenizer;
  std::string out = "tokenizer: BPE" + std::string(k.byte_fallback() ? " (byte fallback)" : "") + ", vocab " +
                    std::to_string(k.vocab_size()) + " (model " + std::to_string(k.model_vocab_size()) + " + " +
                    std::to_string(k.num_added_tokens()) + " added), " + std::to_string(k.num_merges()) + " merges\n";
  out += "  bos " + token_label(k, t.bos_id) + (t.add_bos ? " (added to prompts)" : " (not added)") + ", eos " +
         token_label(k, t.eos_id) + ", pad " + token_label(k, t.pad_id) + "\n";
  std::string stops;
  for (int32_t id : t.stop_ids) stops += (stops.empty() ? "" : ", ") + token_label(k, id);
  out += "  stop tokens: " + (stops.empty() ? std::string("none") : stops) + "\n";
  out += std::string("  chat format: ") + chat_format_name(t.chat_format) +
         (t.chat_template.empty() ? ", no chat template" : ", chat template " + std::to_string(t.chat_template.size()) +
                                                               " bytes") + "\n";
  return out;
}

std::string tokenizer_summary_json(const TextTokenizer& t) {
  const Tokenizer& k = t.tokenizer;
  nlohmann::json out;
  out["type"] = "BPE";
  out["byte_fallback"] = k.byte_fallback();
  out["vocab_size"] = k.vocab_size();
  out["model_vocab_size"] = k.model_vocab_size();
  out["added_tokens"] = k.num_added_tokens();
  out["merges"] = k.num_merges();
  auto id = [](const std::optional<int32_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  out["bos_id"] = id(t.bos_id);
  out["eos_id"] = id(t.eos_id);
  out["pad_id"] = id(t.pad_id);
  out["add_bos"] = t.add_bos;
  out["stop_ids"] = t.stop_ids;
  out["chat_format"] = t.chat_format == ChatFormat::kGemma4 ? "gemma4" : t.chat_format == ChatFormat::kGemma3 ? "gemma3" : "none";
  out["has_chat_template"] = !t.chat_template.empty();
  return out.dump();
}

}  // namespace hfb::tokenizer
