// The one exit-code table of hfbundle (README "Exit codes"): every command maps errors through it.
#pragma once

#include <string>

#include "core/error.h"

namespace hfb::cli {

constexpr int kExitOk = 0;           ///< success
constexpr int kExitCheckFailed = 1;  ///< a check failed: parity, checksum, non-finite logits
constexpr int kExitBadInput = 2;     ///< bad input or usage: missing/malformed file, not a regular file, limit, option
constexpr int kExitSystem = 3;       ///< the OS failed a read or write (ENOSPC, EIO), out of memory, internal error

/// The exit code of an error kind (the table above).
int exit_code_for(ErrorCode code);

/// The error main() reports for a std::bad_alloc escaping `operation` (e.g. "running 'convert'").
Error out_of_memory_error(const std::string& operation);

}  // namespace hfb::cli
