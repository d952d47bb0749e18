// `--threads N` for the commands that run the runtime (run, verify): 1..256, default every core.
#pragma once

#include <CLI/CLI.hpp>

namespace hfb::cli {

/// Adds --threads to `sub` (0 = not given: every core). Values outside 1..256 are a usage error (exit 2).
void add_threads_option(CLI::App* sub, int* threads);
/// Sizes the runtime's thread pool: `threads`, or every core the process may use when 0.
void apply_threads_option(int threads);

}  // namespace hfb::cli
