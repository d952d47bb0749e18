// Parsers of command-line argument values (cli/args.h).
#include "cli/args.h"

#include <cmath>
#include <cstdlib>

namespace hfb {

Result<std::optional<double>> parse_logit_tolerance(const std::string& text) {
  if (text == "off") return std::optional<double>();
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value < 0.0) {
    return Error(ErrorCode::kInvalidArgument,
                 "--logit-tolerance expects a number >= 0 or 'off', got '" + text + "'");
  }
  return std::optional<double>(value);
}

Result<std::vector<std::string>> parse_name_list(const std::string& text) {
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) return Error(ErrorCode::kInvalidArgument, "empty name in list '" + text + "'");
    names.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return names;
}

}  // namespace hfb
