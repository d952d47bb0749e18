// load_text_tokenizer and the Gemma turn format (see text_tokenizer.h).
#include "readers/tokenizer/text_tokenizer.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "readers/tokenizer/utf8.h"

namespace hfb::tokenizer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kMaxSideFileBytes = 64ull << 20;  // tokenizer_config.json (~1.2 MB for Gemma 3), templates

Result<std::optional<std::string>> read_optional(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::optional<std::string>();
  auto size = fs::file_size(path, ec);
  if (ec || size > kMaxSideFileBytes) {
    return Error(ErrorCode::kLimit, "file is larger than " + std::to_string(kMaxSideFileBytes) + " bytes")
        .with_path(path.string());
  }
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  if (!file) return Error(ErrorCode::kIo, "cannot read file").with_path(path.string());
  return std::optional<std::string>(text.str());
}

Result<json> parse_object(const std::string& text, const fs::path& path) {
  json root = json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return Error(ErrorCode::kInvalidFile, "expected a JSON object").with_path(path.string());
  }
  return root;
}

// "bos_token": "<bos>" or {"content": "<bos>", ...}
std::optional<std::string> special_name(const json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) return (*it)["content"].get<std::string>();
  return std::nullopt;
}

Status apply_tokenizer_config(const json& config, const fs::path& path, TextTokenizer* out) {
  auto resolve = [&](const char* key, std::optional<int32_t>* id) -> Status {
    auto name = special_name(config, key);
    if (!name) return ok_status();
    *id = out->tokenizer.token_id(*name);
    if (!*id) return Error(ErrorCode::kInvalidFile, std::string(key) + " '" + *name + "' is not a token").with_path(path.string());
    return ok_status();
  };
  HFB_TRY(resolve("bos_token", &out->bos_id));
  HFB_TRY(resolve("eos_token", &out->eos_id));
  HFB_TRY(resolve("pad_token", &out->pad_id));
  auto add_bos = config.find("add_bos_token");
  auto add_eos = config.find("add_eos_token");
  bool has_add_bos = add_bos != config.end() && add_bos->is_boolean();
  bool has_add_eos = add_eos != config.end() && add_eos->is_boolean();
  if (has_add_bos || has_add_eos) {  // transformers rebuilds the template from these flags
    std::vector<int32_t> prefix;
    std::vector<int32_t> suffix;
    if (has_add_bos && add_bos->get<bool>() && out->bos_id) prefix.push_back(*out->bos_id);
    if (has_add_eos && add_eos->get<bool>() && out->eos_id) suffix.push_back(*out->eos_id);
    if (!has_add_bos) prefix = out->tokenizer.prefix_ids();
    out->tokenizer.set_special_wrapping(std::move(prefix), std::move(suffix));
  }
  auto templ = config.find("chat_template");
  if (out->chat_template.empty() && templ != config.end()) {
    if (templ->is_string()) out->chat_template = templ->get<std::string>();
    if (templ->is_array()) {
      for (const json& entry : *templ) {
        if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
            entry["template"].is_string()) {
          out->chat_template = entry["template"].get<std::string>();
        }
      }
    }
  }
  return ok_status();
}

Status apply_generation_config(const json& config, TextTokenizer* out) {
  auto eos = config.find("eos_token_id");
  if (eos == config.end()) return ok_status();
  std::vector<json> values = eos->is_array() ? eos->get<std::vector<json>>() : std::vector<json>{*eos};
  for (const json& value : values) {
    if (value.is_number_integer() && value.get<int64_t>() >= 0 && value.get<int64_t>() < kMaxTokenId) {
      out->stop_ids.push_back(value.get<int32_t>());
    }
  }
  return ok_status();
}

void detect_chat_format(TextTokenizer* out) {
  const Tokenizer& t = out->tokenizer;
  if (t.token_id("<|turn>") && t.token_id("<turn|>")) {
    out->chat_format = ChatFormat::kGemma4;
    out->end_of_turn_id = t.token_id("<turn|>");
  } else if (t.token_id("<start_of_turn>") && t.token_id("<end_of_turn>")) {
    out->chat_format = ChatFormat::kGemma3;
    out->end_of_turn_id = t.token_id("<end_of_turn>");
  }
}

}  // namespace

const char* chat_format_name(ChatFormat format) {
  switch (format) {
    case ChatFormat::kGemma4: return "gemma4 (<|turn>role ... <turn|>)";
    case ChatFormat::kGemma3: return "gemma3 (<start_of_turn>role ... <end_of_turn>)";
    case ChatFormat::kNone: break;
  }
  return "none";
}

Result<TextTokenizer> load_text_tokenizer(const std::string& path) {
  std::error_code ec;
  fs::path json_path = fs::is_directory(path, ec) ? fs::path(path) / "tokenizer.json" : fs::path(path);
  if (!fs::is_regular_file(json_path, ec)) {
    return Error(ErrorCode::kNotFound, "no tokenizer.json (the checkpoint or bundle carries no tokenizer)").with_path(path);
  }
  fs::path dir = json_path.parent_path();
  HFB_TRY(Tokenizer tokenizer, Tokenizer::load(json_path.string()));
  TextTokenizer out(std::move(tokenizer));
  out.tokenizer_json_path = json_path.string();
  HFB_TRY(auto jinja, read_optional(dir / "chat_template.jinja"));
  if (jinja) out.chat_template = *jinja;
  HFB_TRY(auto config_text, read_optional(dir / "tokenizer_config.json"));
  if (config_text) {
    HFB_TRY(json config, parse_object(*config_text, dir / "tokenizer_config.json"));
    HFB_TRY(apply_tokenizer_config(config, dir / "tokenizer_config.json", &out));
  }
  if (!out.bos_id) out.bos_id = out.tokenizer.token_id("<bos>");
  if (!out.eos_id) out.eos_id = out.tokenizer.token_id("<eos>");
  const auto& prefix = out.tokenizer.prefix_ids();
  out.add_bos = out.bos_id && !prefix.empty() && prefix.front() == *out.bos_id;
  HFB_TRY(auto generation_text, read_optional(dir / "generation_config.json"));
  if (generation_text) {
    HFB_TRY(json generation, parse_object(*generation_text, dir / "generation_config.json"));
    HFB_TRY(apply_generation_config(generation, &out));
  }
  if (out.stop_ids.empty() && out.eos_id) out.stop_ids.push_back(*out.eos_id);
  detect_chat_format(&out);
  if (out.end_of_turn_id) out.stop_ids.push_back(*out.end_of_turn_id);
  return out;
}

Result<std::string> render_chat_prompt(const TextTokenizer& t, std::string_view message) {
  std::string open;
  std::string close;
  if (t.chat_format == ChatFormat::kGemma4) {
    open = "<|turn>";
    close = "<turn|>";
  } else if (t.chat_format == ChatFormat::kGemma3) {
    open = "<start_of_turn>";
    close = "<end_of_turn>";
  } else {
    return Error(ErrorCode::kUnsupported, "the tokenizer has neither <|turn>/<turn|> nor <start_of_turn>/<end_of_turn>: "
                                          "no chat format (use --prompt)").with_path(t.tokenizer_json_path);
  }
  std::string text;
  if (t.add_bos && t.bos_id) text += *t.tokenizer.token_text(*t.bos_id);
  // The Gemma chat templates trim the message (jinja `| trim`).
  text += open + "user\n" + std::string(js_trim_end(js_trim_start(message))) + close + "\n" + open + "model\n";
  return text;
}

Result<std::vector<int32_t>> encode_chat_prompt(const TextTokenizer& t, std::string_view message) {
  HFB_TRY(std::string text, render_chat_prompt(t, message));
  return t.tokenizer.encode(text, false);
}

}  // namespace hfb::tokenizer
