// Tokenizer::create: checks a TokenizerSpec and compiles it (vocab maps, merge ranks, added-token tries).
#include "readers/tokenizer/tokenizer.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "readers/tokenizer/tokenizer_impl.h"
#include "readers/tokenizer/tokenizer_json.h"
#include "readers/tokenizer/utf8.h"

namespace hfb::tokenizer {
namespace {

Error invalid(std::string message) { return Error(ErrorCode::kInvalidFile, std::move(message)); }

Status check_id(int64_t id, const std::string& where) {
  if (id < 0 || id >= kMaxTokenId) {
    return Error(ErrorCode::kLimit, where + ": id " + std::to_string(id) + " is beyond the limit " +
                                        std::to_string(kMaxTokenId) + " (hostile or corrupt file?)");
  }
  return ok_status();
}

Status compile_vocab(TokenizerImpl* impl) {
  const auto& vocab = impl->spec.vocab;
  impl->model_ids.reserve(vocab.size());  // reserve(n) keeps the load factor <= 1/2
  int64_t max_id = -1;
  for (const auto& [token, id] : vocab) {
    HFB_TRY(check_id(id, "model.vocab['" + token + "']"));
    max_id = std::max(max_id, id);
  }
  for (const auto& added : impl->spec.added_tokens) {
    HFB_TRY(check_id(added.id, "added token '" + added.content + "'"));
    max_id = std::max(max_id, added.id);
  }
  // Tables are indexed by id: bound the largest id by the entry count too, so a small hostile file cannot make
  // a huge table (real vocabularies are dense; Gemma 3's largest id is 262144 for 262144 + 6415 entries).
  const int64_t entries = static_cast<int64_t>(vocab.size() + impl->spec.added_tokens.size());
  if (max_id >= 4 * entries + 4096) {
    return Error(ErrorCode::kLimit, "ids are sparse: the largest id is " + std::to_string(max_id) + " for " +
                                        std::to_string(entries) + " tokens (hostile or corrupt file?)");
  }
  impl->id_to_token.assign(static_cast<size_t>(max_id + 1), std::string());
  impl->special.assign(static_cast<size_t>(max_id + 1), 0);
  std::vector<uint8_t> seen(static_cast<size_t>(max_id + 1), 0);
  for (const auto& [token, id] : vocab) {
    if (seen[id]) return invalid("model.vocab: id " + std::to_string(id) + " is given to both '" +
                                 impl->id_to_token[id] + "' and '" + token + "'");
    seen[id] = 1;
    if (!impl->model_ids.insert(token, static_cast<int32_t>(id))) {
      return invalid("model.vocab: token '" + token + "' appears twice");
    }
    impl->id_to_token[id] = token;
    size_t length = token.empty() ? 0 : utf8_sequence_length(token, 0);
    if (length == token.size() && length > 0) impl->char_ids[utf8_decode_at(token, 0, length)] = static_cast<int32_t>(id);
  }
  impl->model_vocab_size = static_cast<int64_t>(vocab.size());
  impl->output_id.resize(impl->id_to_token.size());
  for (size_t i = 0; i < impl->output_id.size(); ++i) impl->output_id[i] = static_cast<int32_t>(i);
  return ok_status();
}

// Split characters for the word cache: U+2581 (the normalized space) and ' '.
void note_glued_pairs(const std::string& merged, TokenizerImpl* impl) {
  uint32_t previous = 0;
  for (size_t pos = 0; pos < merged.size();) {
    size_t length = utf8_sequence_length(merged, pos);
    if (length == 0) return;
    uint32_t cp = utf8_decode_at(merged, pos, length);
    if (pos > 0 && (cp == 0x2581 || cp == 0x20)) impl->glued_pairs.insert((uint64_t{previous} << 32) | cp);
    previous = cp;
    pos += length;
  }
}

Status compile_merges(TokenizerImpl* impl) {
  auto& merges = impl->spec.merges;
  impl->merges.reserve(merges.size());
  std::string merged;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const int32_t* l = impl->model_ids.find(left);
    const int32_t* r = impl->model_ids.find(right);
    auto where = [&] { return "model.merges[" + std::to_string(rank) + "]"; };
    if (!l) return invalid(where() + ": '" + left + "' is not in model.vocab");
    if (!r) return invalid(where() + ": '" + right + "' is not in model.vocab");
    merged.assign(left).append(right);
    const int32_t* m = impl->model_ids.find(merged);
    if (!m) return invalid(where() + ": the merge result '" + merged + "' is not in model.vocab");
    uint64_t key = (uint64_t{static_cast<uint32_t>(*l)} << 32) | static_cast<uint32_t>(*r);
    impl->merges.put(key, MergeEntry{static_cast<int32_t>(rank), *m});  // a repeated pair: the last rank wins (as HF)
    if (merged.find(' ') != std::string::npos || merged.find("\xE2\x96\x81") != std::string::npos) {
      note_glued_pairs(merged, impl);
    }
  }
  impl->num_merges = static_cast<int64_t>(merges.size());
  return ok_status();
}

Status compile_added_tokens(TokenizerImpl* impl) {
  auto& added = impl->spec.added_tokens;
  bool has_normalizer = !impl->spec.normalizers.empty();
  for (size_t i = 0; i < added.size(); ++i) {
    const AddedTokenSpec& token = added[i];
    std::string where = "added_tokens[" + std::to_string(i) + "] '" + token.content + "'";
    if (token.content.empty()) return invalid(where + ": empty content");
    if (token.single_word) {
      return Error(ErrorCode::kUnsupported, where + ": single_word=true is not supported (Gemma tokenizers never set it)");
    }
    if (impl->added_ids.count(token.content)) return invalid(where + ": content appears twice in added_tokens");
    impl->id_to_token[token.id] = token.content;
    impl->special[token.id] = token.special ? 1 : 0;
    impl->added_ids[token.content] = static_cast<int32_t>(token.id);
    impl->added_index[token.content] = static_cast<int32_t>(i);
    if (const int32_t* model = impl->model_ids.find(token.content)) impl->output_id[*model] = static_cast<int32_t>(token.id);
    if (token.normalized && has_normalizer) {
      std::string normalized = impl->normalize(token.content);
      impl->added_ids.emplace(normalized, static_cast<int32_t>(token.id));
      impl->added_index.emplace(normalized, static_cast<int32_t>(i));
      impl->normalized_trie.insert(normalized, static_cast<int32_t>(i));
    } else {
      impl->unnormalized_trie.insert(token.content, static_cast<int32_t>(i));
    }
  }
  return ok_status();
}

Result<int32_t> lookup(const TokenizerImpl& impl, const std::string& token, const std::string& where) {
  auto added = impl.added_ids.find(token);
  if (added != impl.added_ids.end()) return added->second;
  if (const int32_t* model = impl.model_ids.find(token)) return impl.output_id[*model];
  return invalid(where + ": token '" + token + "' is in neither model.vocab nor added_tokens");
}

Status compile_specials(TokenizerImpl* impl) {
  for (int byte = 0; byte < 256; ++byte) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", byte);
    auto id = lookup(*impl, name, "byte_fallback");
    impl->byte_ids[byte] = id.ok() ? *id : -1;
  }
  if (!impl->spec.unk_token.empty()) {
    HFB_TRY(impl->unk_id, lookup(*impl, impl->spec.unk_token, "model.unk_token"));
  }
  const TemplateSpec& templ = impl->spec.post_processor;
  for (const auto* names : {&templ.prefix, &templ.suffix}) {
    auto* out = names == &templ.prefix ? &impl->prefix_ids : &impl->suffix_ids;
    for (const std::string& name : *names) {
      auto listed = templ.special_token_ids.find(name);
      if (listed == templ.special_token_ids.end()) {
        HFB_TRY(int32_t id, lookup(*impl, name, "post_processor"));
        out->push_back(id);
        continue;
      }
      for (int64_t id : listed->second) {
        HFB_TRY(check_id(id, "post_processor.special_tokens['" + name + "']"));
        if (static_cast<size_t>(id) >= impl->id_to_token.size() || impl->id_to_token[id].empty()) {
          return invalid("post_processor.special_tokens['" + name + "']: id " + std::to_string(id) + " names no token");
        }
        out->push_back(static_cast<int32_t>(id));
      }
    }
  }
  return ok_status();
}

}  // namespace

Result<Tokenizer> Tokenizer::create(TokenizerSpec spec, const std::string& path) {
  auto impl = std::make_unique<TokenizerImpl>();
  impl->spec = std::move(spec);
  Status status = compile_vocab(impl.get());
  if (status.ok()) status = compile_merges(impl.get());
  if (status.ok()) status = compile_added_tokens(impl.get());
  if (status.ok()) status = compile_specials(impl.get());
  if (!status.ok()) return Error(std::move(status).error()).with_path(path);
  impl->spec.merges.clear();
  impl->spec.merges.shrink_to_fit();
  return Tokenizer(std::move(impl));
}

Result<Tokenizer> Tokenizer::load(const std::string& tokenizer_json_path) {
  std::ifstream file(tokenizer_json_path, std::ios::binary);
  if (!file) return Error(ErrorCode::kIo, "cannot open tokenizer.json").with_path(tokenizer_json_path);
  file.seekg(0, std::ios::end);
  auto size = static_cast<uint64_t>(file.tellg());
  if (size > kMaxTokenizerJsonBytes) {
    return Error(ErrorCode::kLimit, "tokenizer.json is " + std::to_string(size) + " bytes, more than the limit " +
                                        std::to_string(kMaxTokenizerJsonBytes)).with_path(tokenizer_json_path);
  }
  file.seekg(0, std::ios::beg);
  std::string text(size, '\0');
  if (!file.read(text.data(), static_cast<std::streamsize>(size))) {
    return Error(ErrorCode::kIo, "cannot read tokenizer.json").with_path(tokenizer_json_path);
  }
  return from_json_text(text, tokenizer_json_path);
}

Result<Tokenizer> Tokenizer::from_json_text(std::string_view text, const std::string& path) {
  HFB_TRY(TokenizerSpec spec, parse_tokenizer_json(text, path));
  return create(std::move(spec), path);
}

Tokenizer::Tokenizer(std::unique_ptr<TokenizerImpl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

std::optional<int32_t> Tokenizer::token_id(std::string_view token) const {
  auto id = lookup(*impl_, std::string(token), "token");
  if (!id.ok()) return std::nullopt;
  return *id;
}
const std::string* Tokenizer::token_text(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->id_to_token.size() || impl_->id_to_token[id].empty()) return nullptr;
  return &impl_->id_to_token[id];
}
bool Tokenizer::is_special(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < impl_->special.size() && impl_->special[id];
}
int64_t Tokenizer::vocab_size() const { return static_cast<int64_t>(impl_->id_to_token.size()); }
int64_t Tokenizer::model_vocab_size() const { return impl_->model_vocab_size; }
int64_t Tokenizer::num_merges() const { return impl_->num_merges; }
int64_t Tokenizer::num_added_tokens() const { return static_cast<int64_t>(impl_->spec.added_tokens.size()); }
bool Tokenizer::byte_fallback() const { return impl_->spec.byte_fallback; }
const std::vector<int32_t>& Tokenizer::prefix_ids() const { return impl_->prefix_ids; }
const std::vector<int32_t>& Tokenizer::suffix_ids() const { return impl_->suffix_ids; }
void Tokenizer::set_special_wrapping(std::vector<int32_t> prefix, std::vector<int32_t> suffix) {
  impl_->prefix_ids = std::move(prefix);
  impl_->suffix_ids = std::move(suffix);
}

Result<std::vector<int32_t>> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int32_t> ids;
  if (add_special_tokens) ids = impl_->prefix_ids;
  std::string lossy;
  if (!utf8_is_valid(text)) {
    lossy = utf8_lossy(text);
    text = lossy;
  }
  HFB_TRY(impl_->encode_text(text, &ids));
  if (add_special_tokens) ids.insert(ids.end(), impl_->suffix_ids.begin(), impl_->suffix_ids.end());
  return ids;
}

}  // namespace hfb::tokenizer
