// KV cache storage: ring buffer for sliding-window states, growing buffer for full-attention states.
#include "runtime/kv_cache.h"

#include <algorithm>

namespace hfb {

KvCache::KvCache(const StateInfo& info) : info_(info), row_(info.num_kv_heads * info.head_dim) { reset(); }

void KvCache::reset() {
  pending_ = KeySegment{};
  ring_ = false;  // storage grows with the sequence; a windowed cache becomes a ring once it holds `window`
  keys_.clear();
  values_.clear();
  positions_.clear();
  keys_.shrink_to_fit();
  values_.shrink_to_fit();
  positions_.shrink_to_fit();
}

void KvCache::make_ring() {
  const size_t slots = static_cast<size_t>(info_.window);
  std::vector<float> keys(slots * static_cast<size_t>(row_), 0.0f), values(slots * static_cast<size_t>(row_), 0.0f);
  std::vector<int64_t> positions(slots, -1);
  for (size_t i = 0; i < positions_.size(); ++i) {
    const size_t slot = static_cast<size_t>(positions_[i] % info_.window);
    std::copy_n(keys_.begin() + static_cast<int64_t>(i) * row_, row_, keys.begin() + static_cast<int64_t>(slot) * row_);
    std::copy_n(values_.begin() + static_cast<int64_t>(i) * row_, row_, values.begin() + static_cast<int64_t>(slot) * row_);
    positions[slot] = positions_[i];
  }
  keys_ = std::move(keys);
  values_ = std::move(values);
  positions_ = std::move(positions);
  ring_ = true;
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
  const bool fits = static_cast<int64_t>(positions_.size()) + chunk.count <= info_.window;
  if (info_.window == 0 || (!ring_ && fits)) {
    keys_.insert(keys_.end(), chunk.keys, chunk.keys + chunk.count * row_);
    values_.insert(values_.end(), chunk.values, chunk.values + chunk.count * row_);
    positions_.insert(positions_.end(), chunk.positions, chunk.positions + chunk.count);
    return;
  }
  if (!ring_) make_ring();  // the sequence reached the window: from now on memory stays at `window` positions
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
