// KV cache of one graph state: keys/values of past positions plus the chunk its writer produced in the
// current run (readers of a shared state see exactly what the writer attended with).
#pragma once

#include <cstdint>
#include <vector>

#include "core/graph.h"
#include "runtime/kernels.h"

namespace hfb {

class KvCache {
 public:
  explicit KvCache(const StateInfo& info);
  /// Drops every stored position.
  void reset();
  /// Records this run's keys/values [count, kv_heads, head_dim] (borrowed until commit()).
  void set_pending(const float* keys, const float* values, const int64_t* positions, int64_t count);
  bool has_pending() const { return pending_.count > 0; }
  /// Stored positions followed by the pending chunk.
  std::vector<KeySegment> segments() const;
  /// Copies the pending chunk into storage. A windowed cache keeps only the last `window` positions
  /// (ring buffer, slot = position mod window); an unwindowed one grows.
  void commit();
  /// Positions currently stored (<= window for a windowed cache).
  int64_t stored() const;
  const StateInfo& info() const { return info_; }

 private:
  StateInfo info_;
  int64_t row_ = 0;  ///< floats per position (kv_heads * head_dim)
  std::vector<float> keys_;
  std::vector<float> values_;
  std::vector<int64_t> positions_;  ///< per slot, -1 = empty
  KeySegment pending_;
};

}  // namespace hfb
