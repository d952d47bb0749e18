// gguf_text_tokenizer: tokenizer.ggml.* -> TokenizerSpec -> Tokenizer, plus the TextTokenizer's special ids.
#include "readers/tokenizer/gguf_tokenizer.h"

namespace hfb::tokenizer {
namespace {

// llama.h llama_token_type.
constexpr int64_t kTypeControl = 3;
constexpr int64_t kTypeUserDefined = 4;
constexpr int64_t kTypeUnused = 5;
constexpr int64_t kTypeByte = 6;
const char* const kSpace = "\xE2\x96\x81";  // U+2581, Gemma's space

Error key_error(const GgufFile& file, const std::string& key, const std::string& what) {
  return Error(ErrorCode::kInvalidFile, "GGUF key '" + key + "': " + what).with_path(file.source->path());
}

std::optional<int32_t> special_id(const GgufFile& file, const char* key, int64_t vocab) {
  const gguf::Value* v = file.find(key);
  if (v == nullptr || v->type == gguf::ValueType::kArray) return std::nullopt;
  const auto id = v->int_at(0);
  if (!id || *id < 0 || *id >= vocab) return std::nullopt;  // llama.cpp ignores an out-of-range id too
  return static_cast<int32_t>(*id);
}

bool flag(const GgufFile& file, const char* key, bool fallback) {
  const gguf::Value* v = file.find(key);
  if (v == nullptr || v->type != gguf::ValueType::kBool) return fallback;
  return v->int_at(0).value_or(0) != 0;
}

Result<TokenizerSpec> spec_from_gguf(const GgufFile& file, bool add_bos, std::optional<int32_t> bos,
                                     std::optional<int32_t> unk) {
  const gguf::Value* tokens = file.find("tokenizer.ggml.tokens");
  const gguf::Value* types = file.find("tokenizer.ggml.token_type");
  const gguf::Value* merges = file.find("tokenizer.ggml.merges");
  TokenizerSpec spec;
  for (uint64_t i = 0; i < tokens->count(); ++i) {
    const std::string* text = tokens->string_at(i);
    if (text == nullptr) return key_error(file, "tokenizer.ggml.tokens", "expected an array of STRING");
    spec.vocab.emplace_back(*text, static_cast<int64_t>(i));
    const int64_t type = types && i < types->count() ? types->int_at(i).value_or(1) : 1;
    if (type == kTypeByte) spec.byte_fallback = true;
    if (type == kTypeControl || type == kTypeUserDefined || type == kTypeUnused) {
      AddedTokenSpec added;
      added.id = static_cast<int64_t>(i);
      added.content = *text;
      added.special = true;
      spec.added_tokens.push_back(added);
    }
  }
  for (uint64_t i = 0; i < merges->count(); ++i) {
    const std::string* m = merges->string_at(i);
    const size_t space = m ? m->find(' ', 1) : std::string::npos;  // llama.cpp splits after position 0
    if (space == std::string::npos) {
      return key_error(file, "tokenizer.ggml.merges", "entry " + std::to_string(i) + " is not \"left right\"");
    }
    spec.merges.emplace_back(m->substr(0, space), m->substr(space + 1));
  }
  spec.normalizers.push_back({NormalizerStep::Kind::kReplace, " ", kSpace, false, false});
  spec.pre_tokenizers.push_back({" ", "MergedWithPrevious"});
  spec.decoders.push_back({DecoderStep::Kind::kReplace, kSpace, " ", 0, 0});
  spec.decoders.push_back({DecoderStep::Kind::kByteFallback, "", "", 0, 0});
  spec.decoders.push_back({DecoderStep::Kind::kFuse, "", "", 0, 0});
  if (unk) spec.unk_token = spec.vocab[static_cast<size_t>(*unk)].first;
  spec.fuse_unk = true;
  if (add_bos && bos) {
    const std::string& name = spec.vocab[static_cast<size_t>(*bos)].first;
    spec.post_processor.present = true;
    spec.post_processor.prefix = {name};
    spec.post_processor.special_token_ids[name] = {*bos};
  }
  return spec;
}

}  // namespace

Result<TextTokenizer> gguf_text_tokenizer(const GgufFile& file) {
  const std::string path = file.source->path();
  const gguf::Value* model = file.find("tokenizer.ggml.model");
  if (model == nullptr || model->string_at(0) == nullptr) {
    return key_error(file, "tokenizer.ggml.model", "missing (the GGUF carries no tokenizer)");
  }
  if (*model->string_at(0) != "gemma4" && *model->string_at(0) != "llama") {
    return Error(ErrorCode::kUnsupported, "GGUF tokenizer.ggml.model '" + *model->string_at(0) +
                                              "' is not a Gemma BPE ('gemma4' or 'llama' with merges)")
        .with_path(path);
  }
  const gguf::Value* tokens = file.find("tokenizer.ggml.tokens");
  if (tokens == nullptr || tokens->type != gguf::ValueType::kArray || tokens->count() == 0) {
    return key_error(file, "tokenizer.ggml.tokens", "missing or empty");
  }
  const gguf::Value* merges = file.find("tokenizer.ggml.merges");
  if (merges == nullptr || merges->type != gguf::ValueType::kArray) {
    return Error(ErrorCode::kUnsupported, "GGUF has no tokenizer.ggml.merges: a scores-only (SentencePiece) "
                                          "vocabulary is not rebuilt")
        .with_path(path);
  }
  const int64_t vocab = static_cast<int64_t>(tokens->count());
  const auto bos = special_id(file, "tokenizer.ggml.bos_token_id", vocab);
  const bool add_bos = *model->string_at(0) == "gemma4" || flag(file, "tokenizer.ggml.add_bos_token", false);
  HFB_TRY(TokenizerSpec spec,
          spec_from_gguf(file, add_bos, bos, special_id(file, "tokenizer.ggml.unknown_token_id", vocab)));
  HFB_TRY(Tokenizer tokenizer, Tokenizer::create(std::move(spec), path));
  TextTokenizer out(std::move(tokenizer));
  out.tokenizer_json_path = path;
  out.bos_id = bos;
  out.eos_id = special_id(file, "tokenizer.ggml.eos_token_id", vocab);
  out.pad_id = special_id(file, "tokenizer.ggml.padding_token_id", vocab);
  out.add_bos = add_bos && bos.has_value();
  if (const gguf::Value* t = file.find("tokenizer.chat_template"); t && t->string_at(0)) out.chat_template = *t->string_at(0);
  if (out.eos_id) out.stop_ids.push_back(*out.eos_id);
  finish_text_tokenizer(&out);
  return out;
}

}  // namespace hfb::tokenizer
