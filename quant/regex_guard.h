// Bounds on user regexes (--tensor-type): std::regex backtracks, so patterns that can backtrack exponentially
// are refused up front (RE2-style restrictions; docs/quantization.md).
#pragma once

#include <string>

#include "core/error.h"

namespace hfb {

/// Longest pattern accepted.
constexpr size_t kMaxRegexBytes = 1024;
/// Most unbounded quantifiers (*, +, {n,}) in one pattern: k of them backtrack in O(n^k) on an n-char name.
constexpr int kMaxUnboundedQuantifiers = 3;

/// kInvalidArgument naming the pattern and the rule when it is longer than kMaxRegexBytes, uses a
/// backreference, a repeat count above 1000, more than kMaxUnboundedQuantifiers unbounded quantifiers, or a
/// quantified group ((...)*, (...)+, (...)?, (...){n,m})
/// that contains another quantifier or an alternation `|` (the shapes that backtrack exponentially).
Status check_regex_bounded(const std::string& pattern);

}  // namespace hfb
