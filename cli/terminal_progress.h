// A one-line progress display for `run` and `verify` on stderr: drawn only when stderr is a terminal and --quiet
// was not given, redrawn at most 10 times a second, erased when done (so piped output never holds it).
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace hfb::cli {

class TerminalProgress {
 public:
  explicit TerminalProgress(bool quiet) : enabled_(!quiet && ::isatty(STDERR_FILENO)) {}
  ~TerminalProgress() { finish(); }
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;

  bool enabled() const { return enabled_; }

  /// Counts one generated token and redraws "<prefix> ... N tokens/s" (throttled; `force` draws now).
  void step(const std::string& prefix, bool force = false) {
    if (!enabled_) return;
    ++tokens_;
    const auto now = Clock::now();
    if (!force && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r\033[K%s, %.1f tokens/s", prefix.c_str(), seconds > 0 ? tokens_ / seconds : 0.0);
    std::fflush(stderr);
    drawn_ = true;
  }

  void finish() {
    if (drawn_) std::fputs("\r\033[K", stderr);
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool drawn_ = false;
  long tokens_ = 0;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_;
};

}  // namespace hfb::cli
