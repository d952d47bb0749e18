// KV cache storage: ring buffer for sliding-window states, growing buffer for full-attention states.
#include "runtime/kv_cache.h"

#include <algorithm>

namespace hfb {

KvCache::KvCache(const StateInfo& info) : info_(info), row_(info.num_kv_heads * info.head_dim) { reset(); }

void KvCache::reset() {
  pending_ = KeySegment{};
  if (info_.window > 0) {
    keys_.assign(static_cast<size_t>(info_.window * row_), 0.0f);
    values_.assign(static_cast<size_t>(info_.window * row_), 0.0f);
    positions_.assign(static_cast<size_t>(info_.window), -1);
  } else {
    keys_.clear();
    values_.clear();
    positions_.clear();
  }
}

void KvCache::set_pending(const float* keys, const float* values, const int64_t* positions, int64_t count) {
  pending_ = KeySegment{keys, values, positions, count};
}

std::vector<KeySegment> KvCache::segments() const {
  std::vector<KeySegment> out;
  if (!positions_.empty()) {
    out.push_back(KeySegment{keys_.data(), values_.data(), positions_.data(), static_cast<int64_t>(positions_.size())});
  }
  if (pending_.count > 0) out.push_back(pending_);
  return out;
}

void KvCache::commit() {
  const KeySegment chunk = pending_;
  pending_ = KeySegment{};
  if (chunk.count == 0) return;
  if (info_.window == 0) {
    keys_.insert(keys_.end(), chunk.keys, chunk.keys + chunk.count * row_);
    values_.insert(values_.end(), chunk.values, chunk.values + chunk.count * row_);
    positions_.insert(positions_.end(), chunk.positions, chunk.positions + chunk.count);
    return;
  }
  int64_t first = std::max<int64_t>(0, chunk.count - info_.window);
  for (int64_t k = first; k < chunk.count; ++k) {
    int64_t slot = chunk.positions[k] % info_.window;
    std::copy(chunk.keys + k * row_, chunk.keys + (k + 1) * row_, keys_.begin() + slot * row_);
    std::copy(chunk.values + k * row_, chunk.values + (k + 1) * row_, values_.begin() + slot * row_);
    positions_[slot] = chunk.positions[k];
  }
}

int64_t KvCache::stored() const {
  return static_cast<int64_t>(std::count_if(positions_.begin(), positions_.end(), [](int64_t p) { return p >= 0; }));
}

}  // namespace hfb
