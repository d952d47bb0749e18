// ThreadPool: fixed contiguous ranges, every index exactly once, nested and concurrent calls inline.
#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

namespace hfb {
namespace {

std::vector<std::pair<int64_t, int64_t>> ranges_of(ThreadPool& pool, int64_t n, int64_t grain) {
  std::mutex m;
  std::vector<std::pair<int64_t, int64_t>> out;
  pool.parallel_for(n, grain, [&](int64_t b, int64_t e) {
    std::lock_guard<std::mutex> lock(m);
    out.emplace_back(b, e);
  });
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ThreadPool, SplitsIntoFixedContiguousRanges) {
  ThreadPool three(3);
  using R = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(ranges_of(three, 10, 1), (R{{0, 4}, {4, 8}, {8, 10}}));
  EXPECT_EQ(ranges_of(three, 10, 4), (R{{0, 4}, {4, 8}, {8, 10}}));
  EXPECT_EQ(ranges_of(three, 10, 5), (R{{0, 5}, {5, 10}}));
  EXPECT_EQ(ranges_of(three, 2, 1), (R{{0, 1}, {1, 2}}));
  EXPECT_EQ(ranges_of(three, 0, 1), R{});
  ThreadPool one(1);
  EXPECT_EQ(ranges_of(one, 10, 1), (R{{0, 10}}));
}

TEST(ThreadPool, EveryIndexRunsOnceOverManyLoops) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1001);
  for (int loop = 0; loop < 200; ++loop) {
    pool.parallel_for(1001, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
    });
  }
  for (auto& h : hits) ASSERT_EQ(h.load(), 200);
}

TEST(ThreadPool, NestedAndConcurrentCallsRunInline) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  pool.parallel_for(4, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      pool.parallel_for(10, 1, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
    }
  });
  EXPECT_EQ(total.load(), 40);
  std::atomic<int64_t> other{0};
  std::thread t([&] {
    for (int k = 0; k < 50; ++k) pool.parallel_for(100, 1, [&](int64_t b, int64_t e) { other += e - b; });
  });
  for (int k = 0; k < 50; ++k) pool.parallel_for(100, 1, [&](int64_t b, int64_t e) { total += e - b; });
  t.join();
  EXPECT_EQ(other.load(), 5000);
  EXPECT_EQ(total.load(), 5040);
}

TEST(ThreadPool, GlobalPoolCanBeResized) {
  EXPECT_GE(ThreadPool::available_cores(), 1);
  ThreadPool::set_global_threads(3);
  EXPECT_EQ(ThreadPool::global().num_threads(), 3);
  ThreadPool::set_global_threads(1);
  EXPECT_EQ(ThreadPool::global().num_threads(), 1);
}

}  // namespace
}  // namespace hfb
