// Token-id prompts as text: a comma-separated id list (`run --prompt-ids`) and a prompt-ids file, one prompt a
// line (`verify --against --prompt-ids-file`). Syntax only: the vocabulary check is the session's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace hfb {

/// Parses comma-separated token ids ("2,17,5"; spaces around ids allowed). Fails with kInvalidArgument
/// naming the item for an empty list or item, a non-number, a negative id or one beyond int64.
Result<std::vector<int64_t>> parse_token_ids(const std::string& text);

/// Prompts from text: one prompt a line, ids comma-separated; blank lines and lines starting with '#'
/// are ignored. Fails with kInvalidArgument naming the line.
Result<std::vector<std::vector<int64_t>>> parse_prompt_lines(const std::string& text);

}  // namespace hfb
