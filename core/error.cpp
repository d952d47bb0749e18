// Error rendering and the invariant-failure hook.
#include "core/error.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace hfb {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidFile: return "invalid_file";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kLimit: return "limit";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kCheckFailed: return "check_failed";
    case ErrorCode::kOutOfMemory: return "out_of_memory";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out;
  if (!path.empty()) {
    out += path;
    if (offset) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "@0x%" PRIX64, *offset);
      out += buf;
    }
    out += ": ";
  }
  if (!tensor.empty()) out += "tensor '" + tensor + "': ";
  out += message;
  if (!context.empty()) {
    out += " (";
    for (size_t i = 0; i < context.size(); ++i) {
      if (i) out += "; ";
      out += context[i];
    }
    out += ")";
  }
  return out;
}

void check_failed(const char* cond, const char* file, int line) {
  // The only place library code may stop the process: a broken programmer invariant.
  std::fprintf(stderr, "hfbundle internal error: CHECK(%s) failed at %s:%d\n", cond, file, line);
  std::abort();
}

}  // namespace hfb
