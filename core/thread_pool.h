// ThreadPool: persistent worker threads that run one loop over [0, n) in fixed contiguous ranges.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hfb {

/// Largest --threads value the tools accept.
constexpr int kMaxThreads = 256;

/// A fixed set of threads (the caller counts as one). parallel_for splits [0, n) into contiguous ranges
/// that depend only on n, the grain and the thread count, so per-index work that does not depend on its
/// neighbours gives identical results for any thread count. A call made while another is running (from a
/// worker, or from a second thread) runs inline on the caller: never a deadlock, same results.
class ThreadPool {
 public:
  /// num_threads >= 1 (CHECKed); num_threads - 1 workers are started.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  /// Runs fn(begin, end) over [0, n): range t of T = min(threads, ceil(n / min_per_thread)) ranges is
  /// [t * ceil(n / T), min(n, (t + 1) * ceil(n / T))). Blocks until every range is done.
  void parallel_for(int64_t n, int64_t min_per_thread, const std::function<void(int64_t, int64_t)>& fn);

  /// The process-wide pool the runtime uses (default: every core the process may run on).
  static ThreadPool& global();
  /// Replaces the global pool with one of `num_threads` threads (1..kMaxThreads, CHECKed). Not while it runs.
  static void set_global_threads(int num_threads);
  /// Cores this process may run on (sched affinity; at least 1).
  static int available_cores();

 private:
  void worker_loop(int index);

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::mutex busy_;  // held by the thread running a parallel_for
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0;
  int64_t job_chunk_ = 0;
  int job_ranges_ = 0;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

}  // namespace hfb
