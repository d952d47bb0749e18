// parse_token_ids / parse_prompt_lines: comma-separated ids, and one prompt a line with comments.
#include "readers/prompt_ids.h"

namespace hfb {

Result<std::vector<int64_t>> parse_token_ids(const std::string& text) {
  std::vector<int64_t> ids;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t first = item.find_first_not_of(" \t");
    const size_t last = item.find_last_not_of(" \t");
    item = first == std::string::npos ? "" : item.substr(first, last - first + 1);
    if (item.empty()) return Error(ErrorCode::kInvalidArgument, "empty token id in '" + text + "'");
    if (item[0] == '-') {
      return Error(ErrorCode::kInvalidArgument, "token id '" + item + "' is negative");
    }
    if (item.find_first_not_of("0123456789") != std::string::npos || item.size() > 18) {
      return Error(ErrorCode::kInvalidArgument, "token id '" + item + "' is not a non-negative integer");
    }
    ids.push_back(std::stoll(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return ids;
}

Result<std::vector<std::vector<int64_t>>> parse_prompt_lines(const std::string& text) {
  std::vector<std::vector<int64_t>> prompts;
  size_t start = 0, line_number = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    ++line_number;
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    auto ids = parse_token_ids(line);
    if (!ids.ok()) return std::move(ids).error().with_context("in prompt line " + std::to_string(line_number));
    prompts.push_back(std::move(ids).value());
  }
  if (prompts.empty()) return Error(ErrorCode::kInvalidArgument, "the prompt file has no prompts");
  return prompts;
}

}  // namespace hfb
