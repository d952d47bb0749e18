// The SIGBUS guard: a fixed table of lock-free slots read by the signal handler.
#include "core/mapped_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

namespace hfb {
namespace {

constexpr int kSlots = 256;  // open mapped files at once (a sharded checkpoint, a bundle's chunks)

struct Slot {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<bool> faulted{false};
};

Slot g_slots[kSlots];
struct sigaction g_previous {};

void restore_and_return() {
  // Not ours: the default action (or the previous handler) runs when the instruction faults again.
  sigaction(SIGBUS, &g_previous, nullptr);
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
  const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Slot& slot : g_slots) {
    const uintptr_t b = slot.begin.load(std::memory_order_acquire);
    if (b == 0 || addr < b || addr >= slot.end.load(std::memory_order_acquire)) continue;
    const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    void* at = reinterpret_cast<void*>(addr & ~(page - 1));
    // mmap is a plain system call here (async-signal-safe in practice on Linux).
    if (mmap(at, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) break;
    slot.faulted.store(true, std::memory_order_release);
    return;
  }
  (void)sig, (void)context;
  restore_and_return();
}

void install_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &g_previous);
  });
}

}  // namespace

int mapped_guard_register(const void* begin, size_t size) {
  if (begin == nullptr || size == 0) return -1;
  install_once();
  const uintptr_t b = reinterpret_cast<uintptr_t>(begin);
  for (int i = 0; i < kSlots; ++i) {
    uintptr_t expected = 0;
    if (!g_slots[i].begin.compare_exchange_strong(expected, b, std::memory_order_acq_rel)) continue;
    g_slots[i].faulted.store(false, std::memory_order_release);
    g_slots[i].end.store(b + size, std::memory_order_release);
    return i;
  }
  return -1;
}

bool mapped_guard_faulted(int slot) {
  return slot >= 0 && slot < kSlots && g_slots[slot].faulted.load(std::memory_order_acquire);
}

void mapped_guard_unregister(int slot) {
  if (slot < 0 || slot >= kSlots) return;
  g_slots[slot].end.store(0, std::memory_order_release);
  g_slots[slot].begin.store(0, std::memory_order_release);
}

}  // namespace hfb
