// load_text_tokenizer and the Gemma turn format (see text_tokenizer.h).
#include "readers/tokenizer/text_tokenizer.h"

#include "readers/gguf.h"
#include "readers/tokenizer/gguf_tokenizer.h"

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "readers/bundle/bundle_reader.h"
#include "readers/tokenizer/tokenizer_json.h"
#include "readers/tokenizer/utf8.h"
#include "formats/bundle_format.h"

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

void finish_text_tokenizer(TextTokenizer* out) {
  detect_chat_format(out);
  if (out->end_of_turn_id) out->stop_ids.push_back(*out->end_of_turn_id);
}

const char* chat_format_name(ChatFormat format) {
  switch (format) {
    case ChatFormat::kGemma4: return "gemma4 (<|turn>role ... <turn|>)";
    case ChatFormat::kGemma3: return "gemma3 (<start_of_turn>role ... <end_of_turn>)";
    case ChatFormat::kNone: break;
  }
  return "none";
}

namespace {

// Reads a side file by name ("tokenizer_config.json"): nullopt when absent.
using SideFileReader = std::function<Result<std::optional<std::string>>(const std::string& name)>;

Result<TextTokenizer> load_with(const std::string& json_label, const std::string& label_dir,
                                const SideFileReader& read) {
  HFB_TRY(auto json_text, read("tokenizer.json"));
  if (!json_text) {
    return Error(ErrorCode::kNotFound, "no tokenizer.json (the checkpoint or bundle carries no tokenizer)")
        .with_path(label_dir);
  }
  HFB_TRY(Tokenizer tokenizer, Tokenizer::from_json_text(*json_text, json_label));
  json_text->clear();
  TextTokenizer out(std::move(tokenizer));
  out.tokenizer_json_path = json_label;
  HFB_TRY(auto jinja, read("chat_template.jinja"));
  if (jinja) out.chat_template = *jinja;
  const fs::path config_path = fs::path(label_dir) / "tokenizer_config.json";
  HFB_TRY(auto config_text, read("tokenizer_config.json"));
  if (config_text) {
    HFB_TRY(json config, parse_object(*config_text, config_path));
    HFB_TRY(apply_tokenizer_config(config, config_path, &out));
  }
  if (!out.bos_id) out.bos_id = out.tokenizer.token_id("<bos>");
  if (!out.eos_id) out.eos_id = out.tokenizer.token_id("<eos>");
  const auto& prefix = out.tokenizer.prefix_ids();
  out.add_bos = out.bos_id && !prefix.empty() && prefix.front() == *out.bos_id;
  HFB_TRY(auto generation_text, read("generation_config.json"));
  if (generation_text) {
    HFB_TRY(json generation, parse_object(*generation_text, fs::path(label_dir) / "generation_config.json"));
    HFB_TRY(apply_generation_config(generation, &out));
  }
  if (out.stop_ids.empty() && out.eos_id) out.stop_ids.push_back(*out.eos_id);
  finish_text_tokenizer(&out);
  return out;
}

bool is_bundle(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return fs::is_regular_file(path / kBundleManifestName, ec);
  return fs::is_regular_file(path, ec) && path.extension() != ".json";
}

Result<TextTokenizer> load_from_bundle(const std::string& path) {
  HFB_TRY(std::shared_ptr<const Bundle> bundle, Bundle::open(path));
  SideFileReader read = [&](const std::string& name) -> Result<std::optional<std::string>> {
    auto source = bundle->file(name);
    if (!source.ok()) {
      if (source.error().code == ErrorCode::kNotFound) return std::optional<std::string>();
      return std::move(source).error();
    }
    if ((*source)->size() > kMaxTokenizerJsonBytes) {
      return Error(ErrorCode::kLimit, "bundle file '" + name + "' is too large").with_path(path);
    }
    HFB_TRY(ByteSpan bytes, (*source)->read(0, (*source)->size()));
    return std::optional<std::string>(std::string(reinterpret_cast<const char*>(bytes.data), bytes.size));
  };
  return load_with(path + ":tokenizer.json", path, read);
}

}  // namespace

Result<TextTokenizer> load_text_tokenizer(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec) && has_gguf_magic(path)) {
    HFB_TRY(GgufFile file, read_gguf(path));
    return gguf_text_tokenizer(file);
  }
  if (is_bundle(path)) return load_from_bundle(path);
  fs::path json_path = fs::is_directory(path, ec) ? fs::path(path) / "tokenizer.json" : fs::path(path);
  fs::path dir = json_path.parent_path();
  SideFileReader read = [&](const std::string& name) -> Result<std::optional<std::string>> {
    if (name == "tokenizer.json") {
      if (!fs::is_regular_file(json_path, ec)) return std::optional<std::string>();
      auto size = fs::file_size(json_path, ec);
      if (ec || size > kMaxTokenizerJsonBytes) {
        return Error(ErrorCode::kLimit, "tokenizer.json is larger than " + std::to_string(kMaxTokenizerJsonBytes) +
                                            " bytes").with_path(json_path.string());
      }
      std::ifstream file(json_path, std::ios::binary);
      std::string text(size, '\0');
      if (!file.read(text.data(), static_cast<std::streamsize>(size))) {
        return Error(ErrorCode::kIo, "cannot read tokenizer.json").with_path(json_path.string());
      }
      return std::optional<std::string>(std::move(text));
    }
    return read_optional(dir / name);
  };
  return load_with(json_path.string(), dir.empty() ? std::string(".") : dir.string(), read);
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
