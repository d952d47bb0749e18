// check_regex_bounded: one pass over the pattern with a stack of open groups.
#include "quant/regex_guard.h"

#include <cctype>
#include <cstdlib>
#include <vector>

namespace hfb {
namespace {

Error refuse(const std::string& pattern, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument,
               "--tensor-type: regex '" + pattern.substr(0, 80) + "' refused: " + why +
                   " (patterns that can backtrack exponentially are not accepted; docs/quantization.md)");
}

bool is_quantifier(char c) { return c == '*' || c == '+' || c == '?' || c == '{'; }

/// Index just past a character class starting at `i` ('['), or npos if unterminated.
size_t skip_class(const std::string& p, size_t i) {
  size_t j = i + 1;
  if (j < p.size() && p[j] == '^') ++j;
  if (j < p.size() && p[j] == ']') ++j;
  for (; j < p.size(); ++j) {
    if (p[j] == '\\') { ++j; continue; }
    if (p[j] == ']') return j + 1;
  }
  return std::string::npos;
}

/// For a `{n}`, `{n,}` or `{n,m}` at `i`: the largest count (npos for unbounded); `end` is past '}'.
size_t repeat_bound(const std::string& p, size_t i, size_t* end) {
  const size_t close = p.find('}', i);
  *end = close == std::string::npos ? p.size() : close + 1;
  const std::string body = p.substr(i + 1, close == std::string::npos ? std::string::npos : close - i - 1);
  const size_t comma = body.find(',');
  if (comma == std::string::npos) return std::strtoull(body.c_str(), nullptr, 10);
  if (comma + 1 == body.size()) return std::string::npos;
  return std::strtoull(body.c_str() + comma + 1, nullptr, 10);
}

struct Group {
  bool has_quantifier = false;
  bool has_alternation = false;
};

}  // namespace

Status check_regex_bounded(const std::string& p) {
  if (p.size() > kMaxRegexBytes) return refuse(p, "longer than " + std::to_string(kMaxRegexBytes) + " bytes");
  std::vector<Group> stack(1);
  int unbounded = 0;  // *, + and {n,}: each one multiplies the backtracking of the others (polynomial)
  Group closed;  // the group that just closed (a quantifier after it applies to it)
  bool after_group = false;
  for (size_t i = 0; i < p.size();) {
    const char c = p[i];
    if (is_quantifier(c)) {
      size_t next = i + 1;
      if (c == '{') {
        const size_t bound = repeat_bound(p, i, &next);
        if (bound != std::string::npos && bound > 1000) return refuse(p, "a repeat count above 1000");
        unbounded += bound == std::string::npos;
      }
      unbounded += c == '*' || c == '+';
      if (unbounded > kMaxUnboundedQuantifiers) {
        return refuse(p, "more than " + std::to_string(kMaxUnboundedQuantifiers) + " unbounded quantifiers");
      }
      if (next < p.size() && (p[next] == '?' || p[next] == '+')) ++next;  // lazy / possessive suffix
      if (after_group && (closed.has_quantifier || closed.has_alternation)) {
        return refuse(p, closed.has_quantifier ? "a quantified group contains a quantifier"
                                               : "a quantified group contains an alternation '|'");
      }
      stack.back().has_quantifier = true;
      after_group = false;
      i = next;
      continue;
    }
    after_group = false;
    if (c == '\\') {
      if (i + 1 < p.size() && std::isdigit(static_cast<unsigned char>(p[i + 1])) && p[i + 1] != '0') {
        return refuse(p, "a backreference");
      }
      i += 2;
    } else if (c == '[') {
      const size_t end = skip_class(p, i);
      i = end == std::string::npos ? p.size() : end;
    } else if (c == '(') {
      stack.emplace_back();
      ++i;
    } else if (c == ')') {
      if (stack.size() > 1) {
        closed = stack.back();
        stack.pop_back();
        stack.back().has_quantifier |= closed.has_quantifier;
        stack.back().has_alternation |= closed.has_alternation;
        after_group = true;
      }
      ++i;
    } else {
      if (c == '|') stack.back().has_alternation = true;
      ++i;
    }
  }
  return ok_status();
}

}  // namespace hfb
