// Side outputs (--coverage, --report) are checked before the command does its main work, so a bad path never
// fails after a bundle was published or a long verify ran.
#pragma once

#include <string>

#include "core/error.h"

namespace hfb::cli {

/// kInvalidArgument naming `flag` and `path` when `path` is a directory, or its parent directory is missing,
/// not a directory or not writable. Ok for an empty path (the flag was not given). Creates nothing.
Status check_side_output(const std::string& path, const char* flag);

}  // namespace hfb::cli
