// Parsers of command-line argument values shared by the subcommands (not library API).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace hfb {

/// "--logit-tolerance": a number >= 0, or "off" (no logit bound). kInvalidArgument otherwise.
Result<std::optional<double>> parse_logit_tolerance(const std::string& text);

/// "a,b,c" -> {"a", "b", "c"}; kInvalidArgument on an empty item.
Result<std::vector<std::string>> parse_name_list(const std::string& text);

}  // namespace hfb
