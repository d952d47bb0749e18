// tokenizer.json -> tokenizer.ggml.* (llama.cpp's `gemma4` BPE vocabulary), or a synthesised byte-level one.
#include "pipeline/gguf_tokenizer.h"

#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "core/byte_source.h"
#include "readers/bundle/bundle_reader.h"
#include "readers/tokenizer/text_tokenizer.h"
#include "readers/tokenizer/tokenizer_json.h"

namespace hfb {
namespace {

using gguf::Value;

// llama.h llama_token_type values (as gguf-py's TokenType).
constexpr int32_t kNormal = 1;
constexpr int32_t kControl = 3;
constexpr int32_t kUserDefined = 4;
constexpr int32_t kUnused = 5;
constexpr int32_t kByte = 6;
constexpr const char* kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's space

/// Added tokens llama.cpp's converter marks USER_DEFINED although they are special (gemma.py:646-657).
const std::set<std::string>& user_defined_specials() {
  static const std::set<std::string> names = {"<|channel>", "<channel|>", "<|tool_call>", "<tool_call|>",
                                              "<|tool_response>", "<tool_response|>", "<|\"|>"};
  return names;
}

bool is_byte_token(const std::string& s) {
  return s.size() == 6 && s.compare(0, 3, "<0x") == 0 && s[5] == '>';
}

bool is_unused_token(const std::string& s) { return s.rfind("<unused", 0) == 0 && s.back() == '>'; }

struct Vocabulary {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::vector<std::string> merges;
  std::optional<int32_t> unk;
};

/// Makes every token string unique (llama.cpp asserts it): a repeat becomes `[DUP<id>]`.
void make_unique(Vocabulary* v, std::vector<std::string>* warnings) {
  std::set<std::string> seen;
  for (size_t id = 0; id < v->tokens.size(); ++id) {
    if (seen.insert(v->tokens[id]).second) continue;
    const std::string renamed = "[DUP" + std::to_string(id) + "]";
    warnings->push_back("tokenizer: id " + std::to_string(id) + " repeats the token '" + v->tokens[id] +
                        "'; written as '" + renamed + "' (llama.cpp needs unique token strings)");
    v->tokens[id] = renamed;
    seen.insert(renamed);
  }
}

Vocabulary synthesised_vocabulary(int vocab_size, const GenerationConfig& generation) {
  Vocabulary v;
  v.tokens.assign(static_cast<size_t>(vocab_size), "");
  v.types.assign(static_cast<size_t>(vocab_size), kUnused);
  auto put = [&](int id, std::string text, int32_t type) {
    if (id < 0 || id >= vocab_size || !v.tokens[static_cast<size_t>(id)].empty()) return false;
    v.tokens[static_cast<size_t>(id)] = std::move(text);
    v.types[static_cast<size_t>(id)] = type;
    return true;
  };
  put(generation.pad_token_id, "<pad>", kControl);
  if (!generation.eos_token_ids.empty()) put(generation.eos_token_ids.front(), "<eos>", kControl);
  put(generation.bos_token_id, "<bos>", kControl);
  if (put(3, "<unk>", kControl)) v.unk = 3;
  int next = 0;
  auto next_free = [&]() {
    while (next < vocab_size && !v.tokens[static_cast<size_t>(next)].empty()) ++next;
    return next;
  };
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    put(next_free(), name, kByte);
  }
  put(next_free(), kSpace, kNormal);
  for (int id = next_free(); id < vocab_size; id = next_free()) put(id, "<unused" + std::to_string(id) + ">", kUnused);
  return v;
}

Result<Vocabulary> checkpoint_vocabulary(const tokenizer::TextTokenizer& text, const tokenizer::TokenizerSpec& spec,
                                         int vocab_size, std::vector<std::string>* warnings) {
  Vocabulary v;
  const tokenizer::Tokenizer& t = text.tokenizer;
  if (t.vocab_size() > vocab_size) {
    warnings->push_back("tokenizer: " + std::to_string(t.vocab_size()) + " token ids, the embedding has " +
                        std::to_string(vocab_size) + " rows: ids from " + std::to_string(vocab_size) +
                        " on are not written");
  }
  for (int32_t id = 0; id < vocab_size; ++id) {
    const std::string* s = t.token_text(id);
    std::string token = s ? *s : "<unused" + std::to_string(id) + ">";
    int32_t type = kNormal;
    if (!s || is_unused_token(token)) {
      type = kUnused;
    } else if (t.is_special(id)) {
      type = user_defined_specials().count(token) ? kUserDefined : kControl;
    } else if (is_byte_token(token)) {
      type = kByte;
    }
    v.tokens.push_back(std::move(token));
    v.types.push_back(type);
  }
  for (const tokenizer::AddedTokenSpec& added : spec.added_tokens) {  // non-special added tokens
    if (added.id >= 0 && added.id < vocab_size && !added.special) v.types[static_cast<size_t>(added.id)] = kUserDefined;
  }
  for (const auto& [left, right] : spec.merges) v.merges.push_back(left + " " + right);
  if (!spec.unk_token.empty()) {
    if (auto id = t.token_id(spec.unk_token)) v.unk = *id;
  }
  return v;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

void add_special_ids(const GenerationConfig& generation, const std::optional<int32_t>& unk, int vocab_size,
                     gguf::Metadata* out) {
  auto add = [&](const char* key, int id) {
    if (id >= 0 && id < vocab_size) out->emplace_back(key, Value::u32(static_cast<uint32_t>(id)));
  };
  add("tokenizer.ggml.bos_token_id", generation.bos_token_id);
  if (!generation.eos_token_ids.empty()) add("tokenizer.ggml.eos_token_id", generation.eos_token_ids.front());
  if (unk) add("tokenizer.ggml.unknown_token_id", *unk);
  add("tokenizer.ggml.padding_token_id", generation.pad_token_id);
}

/// tokenizer.json's text and a name for messages, from a directory (checkpoint or directory bundle) or a zip
/// bundle (a regular file: its stored entry); nullopt when there is none.
Result<std::optional<std::pair<std::string, std::string>>> tokenizer_json(const std::string& source) {
  using Found = std::optional<std::pair<std::string, std::string>>;
  if (source.empty()) return Found();
  struct stat st {};
  if (::stat(source.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {  // a zip bundle
    HFB_TRY(std::shared_ptr<const Bundle> bundle, Bundle::open(source));
    auto file = bundle->file("tokenizer.json");
    if (!file.ok()) {
      if (file.error().code == ErrorCode::kNotFound) return Found();
      return std::move(file).error();
    }
    if ((*file)->size() > tokenizer::kMaxTokenizerJsonBytes) {
      return Error(ErrorCode::kLimit, "bundle file 'tokenizer.json' is larger than " +
                                          std::to_string(tokenizer::kMaxTokenizerJsonBytes) + " bytes").with_path(source);
    }
    HFB_TRY(ByteSpan bytes, (*file)->read(0, (*file)->size()));
    return Found(std::pair{std::string(reinterpret_cast<const char*>(bytes.data), bytes.size), source + ":tokenizer.json"});
  }
  const std::string path = source + "/tokenizer.json";
  if (!file_exists(path)) return Found();
  HFB_TRY(std::string json, read_small_file(path, tokenizer::kMaxTokenizerJsonBytes, "tokenizer_bytes"));
  return Found(std::pair{std::move(json), path});
}

}  // namespace

Result<GgufTokenizerResult> gguf_tokenizer_metadata(const std::string& dir, int vocab_size,
                                                    const GenerationConfig& generation) {
  GgufTokenizerResult result;
  Vocabulary vocab;
  std::string chat_template;
  GenerationConfig ids = generation;
  HFB_TRY(auto json, tokenizer_json(dir));
  if (!json) {
    vocab = synthesised_vocabulary(vocab_size, generation);
    result.synthesised = true;
    result.warnings.push_back("no tokenizer.json: synthesised a byte-level vocabulary of " +
                              std::to_string(vocab_size) +
                              " tokens (special, <0xXX> bytes, <unusedN>); token ids run, text does not tokenize as "
                              "the original model's");
  } else {
    HFB_TRY(tokenizer::TextTokenizer text, tokenizer::load_text_tokenizer(dir));  // a zip bundle too
    HFB_TRY(tokenizer::TokenizerSpec spec, tokenizer::parse_tokenizer_json(json->first, json->second));
    HFB_TRY(vocab, checkpoint_vocabulary(text, spec, vocab_size, &result.warnings));
    chat_template = text.chat_template;
    if (text.bos_id) ids.bos_token_id = *text.bos_id;
    if (text.eos_id) ids.eos_token_ids = {*text.eos_id};
    if (text.pad_id) ids.pad_token_id = *text.pad_id;
  }
  make_unique(&vocab, &result.warnings);
  if (vocab.merges.empty()) {
    // llama.cpp's gemma4 vocabulary needs the merges key and gguf refuses empty arrays; a merge of two spaces
    // is what llama.cpp's own converter wrote for the synthetic vocabularies of the reference files.
    vocab.merges.push_back(std::string(kSpace) + " " + kSpace);
  }
  gguf::Metadata& out = result.metadata;
  out.emplace_back("tokenizer.ggml.model", Value::str("gemma4"));
  out.emplace_back("tokenizer.ggml.tokens", Value::str_array(vocab.tokens));
  out.emplace_back("tokenizer.ggml.scores", Value::f32_array(std::vector<float>(vocab.tokens.size(), 0.0f)));
  out.emplace_back("tokenizer.ggml.token_type", Value::i32_array(vocab.types));
  out.emplace_back("tokenizer.ggml.merges", Value::str_array(vocab.merges));
  add_special_ids(ids, vocab.unk, vocab_size, &out);
  out.emplace_back("tokenizer.ggml.add_space_prefix", Value::boolean(false));
  out.emplace_back("tokenizer.ggml.add_bos_token", Value::boolean(true));
  if (!chat_template.empty()) out.emplace_back("tokenizer.chat_template", Value::str(chat_template));
  return result;
}

}  // namespace hfb
