// Decoding: ids -> token strings -> the decoder chain (Replace, ByteFallback, Fuse, Strip), as the JS reference.
#include "readers/tokenizer/tokenizer.h"
#include "readers/tokenizer/tokenizer_impl.h"
#include "readers/tokenizer/utf8.h"

namespace hfb::tokenizer {
namespace {

int byte_token_value(const std::string& token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return -1;
  int value = 0;
  for (size_t i = 3; i < 5; ++i) {
    char c = token[i];
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

std::vector<std::string> byte_fallback(const std::vector<std::string>& tokens, bool lossy) {
  std::vector<std::string> out;
  std::string run;
  auto flush = [&] {
    if (run.empty()) return;
    out.push_back(lossy ? utf8_lossy(run) : run);
    run.clear();
  };
  for (const std::string& token : tokens) {
    int value = byte_token_value(token);
    if (value >= 0) {
      run.push_back(static_cast<char>(value));
      continue;
    }
    flush();
    out.push_back(token);
  }
  flush();
  return out;
}

std::string strip_token(const std::string& token, const DecoderStep& step) {
  std::string_view view = token;
  const std::string& c = step.content;
  if (c.empty()) return token;
  for (int64_t i = 0; i < step.start && view.size() >= c.size() && view.compare(0, c.size(), c) == 0; ++i) {
    view.remove_prefix(c.size());
  }
  for (int64_t i = 0; i < step.stop && view.size() >= c.size() &&
                      view.compare(view.size() - c.size(), c.size(), c) == 0; ++i) {
    view.remove_suffix(c.size());
  }
  return std::string(view);
}

std::string replace_all_copy(const std::string& text, const std::string& pattern, const std::string& content) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(pattern, pos);
    if (hit == std::string::npos) break;
    out.append(text, pos, hit - pos).append(content);
    pos = hit + pattern.size();
  }
  out.append(text, pos, std::string::npos);
  return out;
}

Result<std::string> run_decoders(const TokenizerImpl& impl, const std::vector<int32_t>& ids, bool lossy) {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= impl.id_to_token.size() || impl.id_to_token[id].empty()) {
      return Error(ErrorCode::kInvalidArgument, "token id " + std::to_string(id) + " names no token (vocab size " +
                                                    std::to_string(impl.id_to_token.size()) + ")");
    }
    tokens.push_back(impl.id_to_token[id]);
  }
  for (const DecoderStep& step : impl.spec.decoders) {
    switch (step.kind) {
      case DecoderStep::Kind::kReplace:
        for (std::string& token : tokens) token = replace_all_copy(token, step.pattern, step.content);
        break;
      case DecoderStep::Kind::kByteFallback:
        tokens = byte_fallback(tokens, lossy);
        break;
      case DecoderStep::Kind::kFuse: {
        std::string joined;
        for (const std::string& token : tokens) joined += token;
        tokens.assign(1, std::move(joined));
        break;
      }
      case DecoderStep::Kind::kStrip:
        for (std::string& token : tokens) token = strip_token(token, step);
        break;
    }
  }
  std::string text;
  for (const std::string& token : tokens) text += token;
  return text;
}

}  // namespace

Result<std::string> Tokenizer::decode(const std::vector<int32_t>& ids) const { return run_decoders(*impl_, ids, true); }

bool Tokenizer::decode_is_concatenative() const {
  for (const DecoderStep& step : impl_->spec.decoders) {
    if (step.kind == DecoderStep::Kind::kStrip) return false;
  }
  return true;
}

Result<std::string> Tokenizer::decode_bytes(const std::vector<int32_t>& ids) const {
  return run_decoders(*impl_, ids, false);
}

}  // namespace hfb::tokenizer
