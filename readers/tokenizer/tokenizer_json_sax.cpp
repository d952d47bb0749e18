// SAX handler for tokenizer.json (see tokenizer_json_sax.h).
#include "readers/tokenizer/tokenizer_json_sax.h"

namespace hfb::tokenizer {
namespace {

using nlohmann::json;

class TokenizerSax : public nlohmann::json_sax<json> {
 public:
  explicit TokenizerSax(TokenizerJsonParts* out) : out_(out) {}

  bool null() override { return value(json(nullptr)); }
  bool boolean(bool v) override { return value(json(v)); }
  bool number_integer(number_integer_t v) override {
    if (mode_ == Mode::kVocab) return fail("model.vocab['" + key_ + "']: expected a non-negative integer id, got " +
                                           std::to_string(v));
    return value(json(v));
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (mode_ == Mode::kVocab) {
      if (v > static_cast<number_unsigned_t>(INT64_MAX)) return fail("model.vocab['" + key_ + "']: id too large");
      out_->vocab.emplace_back(std::move(key_), static_cast<int64_t>(v));
      return true;
    }
    return value(json(v));
  }
  bool number_float(number_float_t v, const string_t&) override {
    if (mode_ == Mode::kVocab) return fail("model.vocab['" + key_ + "']: expected an integer id, got a float");
    return value(json(v));
  }
  bool string(string_t& v) override {
    if (mode_ == Mode::kMerges) return merge_string(v);
    if (mode_ == Mode::kMergePair) {
      pair_.push_back(std::move(v));
      return pair_.size() <= 2 || fail("model.merges[" + std::to_string(out_->merges.size()) +
                                       "]: expected a pair of 2 strings, got more");
    }
    if (mode_ == Mode::kVocab) return fail("model.vocab['" + key_ + "']: expected an integer id, got a string");
    return value(json(std::move(v)));
  }
  bool binary(binary_t&) override { return fail("unexpected binary value"); }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool start_object(std::size_t) override {
    if (mode_ != Mode::kDom) return fail(where() + ": unexpected object");
    if (path_is_model() && key_ == "vocab") {
      mode_ = Mode::kVocab;
      out_->has_vocab = true;
      out_->vocab.clear();
      return true;
    }
    return open(json::object());
  }
  bool end_object() override {
    if (mode_ == Mode::kVocab) {
      mode_ = Mode::kDom;
      return true;
    }
    return close();
  }
  bool start_array(std::size_t) override {
    if (mode_ == Mode::kMerges) {
      mode_ = Mode::kMergePair;
      pair_.clear();
      return true;
    }
    if (mode_ != Mode::kDom) return fail(where() + ": unexpected array");
    if (path_is_model() && key_ == "merges") {
      mode_ = Mode::kMerges;
      out_->has_merges = true;
      out_->merges.clear();
      return true;
    }
    return open(json::array());
  }
  bool end_array() override {
    if (mode_ == Mode::kMergePair) {
      if (pair_.size() != 2) {
        return fail("model.merges[" + std::to_string(out_->merges.size()) + "]: expected a pair of 2 strings, got " +
                    std::to_string(pair_.size()));
      }
      out_->merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
      mode_ = Mode::kMerges;
      return true;
    }
    if (mode_ == Mode::kMerges) {
      mode_ = Mode::kDom;
      return true;
    }
    return close();
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    error_ = Error(ErrorCode::kInvalidFile, std::string("malformed JSON: ") + ex.what()).with_offset(position);
    return false;
  }

  std::optional<Error> error_;

 private:
  enum class Mode { kDom, kVocab, kMerges, kMergePair };

  bool fail(std::string message) {
    if (!error_) error_ = Error(ErrorCode::kInvalidFile, std::move(message));
    return false;
  }
  std::string where() const { return key_.empty() ? "document" : "'" + key_ + "'"; }
  bool path_is_model() const { return path_.size() == 2 && path_[1] == "model"; }

  bool merge_string(const std::string& line) {
    size_t space = line.find(' ');
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
      return fail("model.merges[" + std::to_string(out_->merges.size()) + "]: expected \"left right\" with one space, got '" +
                  line.substr(0, 64) + "'");
    }
    out_->merges.emplace_back(line.substr(0, space), line.substr(space + 1));
    return true;
  }

  json* insert(json v) {
    if (stack_.empty()) {
      out_->rest = std::move(v);
      return &out_->rest;
    }
    json& parent = *stack_.back();
    if (parent.is_object()) {
      json& slot = parent[key_];
      slot = std::move(v);
      return &slot;
    }
    parent.push_back(std::move(v));
    return &parent.back();
  }
  bool value(json v) {
    if (mode_ != Mode::kDom) return fail(where() + ": unexpected value in model.vocab/merges");
    if (stack_.empty()) return fail("tokenizer.json: expected an object at the top level");
    insert(std::move(v));
    return true;
  }
  bool open(json v) {
    if (static_cast<int>(stack_.size()) >= kMaxTokenizerJsonDepth) {
      error_ = Error(ErrorCode::kLimit, "JSON nested deeper than " + std::to_string(kMaxTokenizerJsonDepth));
      return false;
    }
    bool in_object = !stack_.empty() && stack_.back()->is_object();
    path_.push_back(in_object ? key_ : std::string());
    stack_.push_back(insert(std::move(v)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    path_.pop_back();
    return true;
  }

  TokenizerJsonParts* out_;
  Mode mode_ = Mode::kDom;
  std::vector<json*> stack_;
  std::vector<std::string> path_;
  std::string key_;
  std::vector<std::string> pair_;
};

}  // namespace

Result<TokenizerJsonParts> parse_tokenizer_json_parts(std::string_view text, const std::string& path) {
  TokenizerJsonParts parts;
  TokenizerSax sax(&parts);
  bool ok = json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json, true);
  if (!ok || sax.error_) {
    Error error = sax.error_ ? *sax.error_ : Error(ErrorCode::kInvalidFile, "malformed JSON");
    return std::move(error).with_path(path);
  }
  if (!parts.rest.is_object()) {
    return Error(ErrorCode::kInvalidFile, "expected a JSON object at the top level").with_path(path);
  }
  return parts;
}

}  // namespace hfb::tokenizer
