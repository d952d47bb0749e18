// KV cache storage grows with the sequence, never preallocated to the window (F5), and keeps exactly the last
// `window` positions once the sequence is longer.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "runtime/kv_cache.h"

namespace hfb {
namespace {

/// Commits positions [first, first + count) with keys = position + 0.5 and values = -position.
void commit(KvCache* cache, int64_t first, int64_t count, int64_t row) {
  std::vector<float> keys(static_cast<size_t>(count * row)), values(keys.size());
  std::vector<int64_t> positions(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    positions[static_cast<size_t>(k)] = first + k;
    for (int64_t j = 0; j < row; ++j) {
      keys[static_cast<size_t>(k * row + j)] = static_cast<float>(first + k) + 0.5f;
      values[static_cast<size_t>(k * row + j)] = -static_cast<float>(first + k);
    }
  }
  cache->set_pending(keys.data(), values.data(), positions.data(), count);
  cache->commit();
}

std::vector<int64_t> stored_positions(const KvCache& cache) {
  std::vector<int64_t> out;
  for (const KeySegment& s : cache.segments()) {
    for (int64_t k = 0; k < s.count; ++k) {
      if (s.positions[k] < 0) continue;
      out.push_back(s.positions[k]);
      EXPECT_EQ(s.keys[k * 4], static_cast<float>(s.positions[k]) + 0.5f);
      EXPECT_EQ(s.values[k * 4 + 3], -static_cast<float>(s.positions[k]));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(KvCache, AHugeWindowHoldsOnlyTheSequence) {
  KvCache cache(StateInfo{"kv.0", 2, 2, int64_t{1} << 40});  // a 2^40 window would be 16 TiB preallocated
  commit(&cache, 0, 3, 4);
  commit(&cache, 3, 1, 4);
  ASSERT_EQ(cache.segments().size(), 1u);
  EXPECT_EQ(cache.segments()[0].count, 4) << "storage is the 4 positions seen, not the window";
  EXPECT_EQ(stored_positions(cache), (std::vector<int64_t>{0, 1, 2, 3}));
  cache.reset();
  EXPECT_TRUE(cache.segments().empty());
}

TEST(KvCache, KeepsTheLastWindowPositionsOnceLonger) {
  for (int64_t prefill : {1, 2, 3, 5, 9}) {
    KvCache cache(StateInfo{"kv.0", 2, 2, 3});
    commit(&cache, 0, prefill, 4);
    for (int64_t p = prefill; p < 12; ++p) commit(&cache, p, 1, 4);
    EXPECT_EQ(cache.stored(), 3) << prefill;
    EXPECT_EQ(stored_positions(cache), (std::vector<int64_t>{9, 10, 11})) << prefill;
    EXPECT_LE(cache.segments()[0].count, 3);
  }
  KvCache unwindowed(StateInfo{"kv.1", 2, 2, 0});
  commit(&unwindowed, 0, 7, 4);
  EXPECT_EQ(unwindowed.stored(), 7);
}

}  // namespace
}  // namespace hfb
