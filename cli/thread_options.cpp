// `--threads N`: sizes the runtime's persistent thread pool.
#include "cli/thread_options.h"

#include "core/thread_pool.h"

namespace hfb::cli {

void add_threads_option(CLI::App* sub, int* threads) {
  sub->add_option("--threads", *threads, "Runtime threads (1-256; default: every core)")
      ->check(CLI::Range(1, kMaxThreads));
}

void apply_threads_option(int threads) {
  ThreadPool::set_global_threads(threads > 0 ? threads : ThreadPool::available_cores());
}

}  // namespace hfb::cli
