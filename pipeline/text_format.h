// printf-style formatting into a std::string for the text reports of inspect (checkpoint and bundle).
#pragma once

#include <cstdarg>
#include <cstdio>
#include <string>

namespace hfb {

/// The formatted text, cut at 1023 bytes (report lines are short).
inline std::string text_format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

inline std::string text_format(const char* fmt, ...) {
  char buf[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

}  // namespace hfb
