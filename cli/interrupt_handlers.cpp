// InterruptHandlers / exit_for_interrupt: sigaction plumbing for cli commands that write output.
#include "cli/interrupt_handlers.h"

#include <signal.h>

#include <cstdio>
#include <cstring>

#include "core/interrupt.h"

namespace hfb::cli {
namespace {

struct sigaction g_old_int;
struct sigaction g_old_term;

extern "C" void on_interrupt_signal(int signal_number) { hfb::request_interrupt(signal_number); }

}  // namespace

InterruptHandlers::InterruptHandlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // the second signal takes the default action
  ::sigaction(SIGINT, &action, &g_old_int);
  ::sigaction(SIGTERM, &action, &g_old_term);
}

InterruptHandlers::~InterruptHandlers() {
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
}

int exit_for_interrupt(const char* what, const char* cleanup) {
  const int sig = hfb::interrupt_signal();
  if (sig == 0) return 0;
  std::fprintf(stderr, "hfbundle: %s interrupted by %s; %s\n", what, sig == SIGINT ? "SIGINT" : "SIGTERM", cleanup);
  std::fflush(stderr);
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  ::sigaction(sig, &action, nullptr);
  ::raise(sig);
  return 128 + sig;
}

}  // namespace hfb::cli
