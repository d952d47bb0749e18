// A process-wide interrupt flag: a signal handler sets it (async-signal-safe), long-running library loops poll it
// and return an Error, so the pipeline unwinds and its destructors remove temporary output (docs/convert.md).
#pragma once

#include "core/error.h"

namespace hfb {

/// Records that `signal_number` asked the process to stop. Async-signal-safe (one lock-free atomic store).
void request_interrupt(int signal_number) noexcept;

/// The signal recorded by request_interrupt, or 0.
int interrupt_signal() noexcept;

/// Clears the flag (tests, and a CLI command that handled it).
void clear_interrupt() noexcept;

/// ok, or kIo "interrupted by signal N (SIGINT)" once request_interrupt was called. Polled between blocks.
Status check_interrupted();

}  // namespace hfb
