// SIGINT / SIGTERM during a long command: the handler only records the signal (core/interrupt.h); the library
// polls it and unwinds, removing temp output; then the command re-raises the signal so the shell sees it.
#pragma once

namespace hfb::cli {

/// While alive, the first SIGINT or SIGTERM calls hfb::request_interrupt (async-signal-safe); the handler resets
/// itself (SA_RESETHAND), so a second Ctrl-C kills the process at once. The destructor restores the old actions.
class InterruptHandlers {
 public:
  InterruptHandlers();
  ~InterruptHandlers();
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;
};

/// If a signal was recorded: prints one line ("<what> interrupted by SIGINT; <cleanup>") on stderr and re-raises
/// the signal with its default action (exit status 128+N as the shell reports it). Returns 128+N if raising
/// returned; 0 when no signal was recorded.
int exit_for_interrupt(const char* what, const char* cleanup);

}  // namespace hfb::cli
