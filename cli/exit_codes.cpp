// ErrorCode -> exit code, in one place.
#include "cli/exit_codes.h"

namespace hfb::cli {

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kCheckFailed: return kExitCheckFailed;
    case ErrorCode::kIo:
    case ErrorCode::kOutOfMemory:
    case ErrorCode::kInternal: return kExitSystem;
    case ErrorCode::kInvalidFile:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kUnsupported:
    case ErrorCode::kLimit:
    case ErrorCode::kNotFound: return kExitBadInput;
  }
  return kExitSystem;
}

Error out_of_memory_error(const std::string& operation) {
  return Error(ErrorCode::kOutOfMemory, "out of memory while " + operation +
                                            " (a limit in docs/limits.md may be set too high for this machine)");
}

}  // namespace hfb::cli
