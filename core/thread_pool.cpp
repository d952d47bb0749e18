// ThreadPool: workers wait on a generation counter; each runs its own fixed range of the current loop.
#include "core/thread_pool.h"

#include <sched.h>

#include <algorithm>
#include <memory>

#include "core/error.h"

namespace hfb {
namespace {

thread_local bool tl_inside_pool = false;  // a worker, or the caller while it runs a loop

std::unique_ptr<ThreadPool>& global_slot() {
  static std::unique_ptr<ThreadPool> pool;
  return pool;
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(num_threads) {
  HFB_CHECK(num_threads >= 1 && num_threads <= kMaxThreads);
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::worker_loop(int index) {
  tl_inside_pool = true;
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int64_t, int64_t)>* job = nullptr;
    int64_t begin = 0, end = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (index >= job_ranges_) continue;  // this loop has fewer ranges than threads
      job = job_;
      begin = index * job_chunk_;
      end = std::min(job_n_, begin + job_chunk_);
    }
    if (begin < end) (*job)(begin, end);
    std::lock_guard<std::mutex> lock(mutex_);
    if (--pending_ == 0) done_cv_.notify_one();
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t min_per_thread,
                              const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t grain = std::max<int64_t>(1, min_per_thread);
  const int ranges = static_cast<int>(std::min<int64_t>(num_threads_, (n + grain - 1) / grain));
  const int64_t chunk = (n + ranges - 1) / ranges;
  std::unique_lock<std::mutex> busy(busy_, std::defer_lock);
  if (ranges <= 1 || tl_inside_pool || !busy.try_lock()) {
    // Inline: the same ranges, one after another.
    for (int t = 0; t < ranges; ++t) fn(t * chunk, std::min(n, (t + 1) * chunk));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    job_n_ = n;
    job_chunk_ = chunk;
    job_ranges_ = ranges;
    pending_ = ranges - 1;
    ++generation_;
  }
  start_cv_.notify_all();
  tl_inside_pool = true;
  fn(0, std::min(n, chunk));
  tl_inside_pool = false;
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
}

int ThreadPool::available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, std::min(kMaxThreads, CPU_COUNT(&set)));
  return std::max(1u, std::min<unsigned>(kMaxThreads, std::thread::hardware_concurrency()));
}

ThreadPool& ThreadPool::global() {
  auto& slot = global_slot();
  static std::once_flag once;
  std::call_once(once, [&] {
    if (!slot) slot = std::make_unique<ThreadPool>(available_cores());
  });
  return *slot;
}

void ThreadPool::set_global_threads(int num_threads) {
  HFB_CHECK(num_threads >= 1 && num_threads <= kMaxThreads);
  global();  // the default exists first, so global() never races with the replacement
  auto& slot = global_slot();
  if (slot->num_threads() != num_threads) slot = std::make_unique<ThreadPool>(num_threads);
}

}  // namespace hfb
