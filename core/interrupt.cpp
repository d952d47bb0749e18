// The interrupt flag: a lock-free atomic int, the only thing a signal handler touches.
#include "core/interrupt.h"

#include <atomic>
#include <csignal>
#include <string>

namespace hfb {
namespace {

std::atomic<int> g_interrupt_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "a signal handler may only store to a lock-free atomic");

const char* signal_name(int signal_number) {
  switch (signal_number) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal";
  }
}

}  // namespace

void request_interrupt(int signal_number) noexcept {
  g_interrupt_signal.store(signal_number, std::memory_order_relaxed);
}

int interrupt_signal() noexcept { return g_interrupt_signal.load(std::memory_order_relaxed); }

void clear_interrupt() noexcept { g_interrupt_signal.store(0, std::memory_order_relaxed); }

Status check_interrupted() {
  const int sig = interrupt_signal();
  if (sig == 0) return ok_status();
  return Error(ErrorCode::kIo,
               std::string("interrupted by ") + signal_name(sig) + " (signal " + std::to_string(sig) + ")");
}

}  // namespace hfb
