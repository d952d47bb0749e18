// Open-addressing hash maps for the tokenizer's hot tables (vocab strings -> id, merge pairs -> rank): one
// allocation per table instead of one per entry, so loading a 262k-token / 515k-merge vocab stays fast.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace hfb::tokenizer {

inline uint64_t hash_bytes(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, then a final mix
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  h ^= h >> 29;
  return h * 0xbf58476d1ce4e5b9ull;
}

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

/// string_view -> int32. Keys are views: the caller keeps the bytes alive and unmoved.
class StringIdMap {
 public:
  void reserve(size_t count) {
    size_t capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    slots_.assign(capacity, Slot{});
  }
  /// Returns false (and changes nothing) if the key is already present.
  bool insert(std::string_view key, int32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    uint32_t tag = 0;
    Slot* slot = find_slot(key, &tag);
    if (slot->used) return false;
    *slot = Slot{key, value, tag, true};
    ++size_;
    return true;
  }
  const int32_t* find(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    uint32_t tag = 0;
    const Slot* slot = const_cast<StringIdMap*>(this)->find_slot(key, &tag);
    return slot->used ? &slot->value : nullptr;
  }
  size_t size() const { return size_; }

 private:
  struct Slot {
    std::string_view key;
    int32_t value = 0;
    uint32_t tag = 0;  // high hash bits: most mismatches are rejected without touching the key bytes
    bool used = false;
  };
  Slot* find_slot(std::string_view key, uint32_t* tag) {
    size_t mask = slots_.size() - 1;
    uint64_t hash = hash_bytes(key);
    *tag = static_cast<uint32_t>(hash >> 32);
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (!slot.used || (slot.tag == *tag && slot.key == key)) return &slots_[i];
    }
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    reserve(old.empty() ? 8 : old.size());
    size_ = 0;
    for (const Slot& slot : old) {
      if (slot.used) (void)insert(slot.key, slot.value);
    }
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

/// uint64 -> V (keys must not be ~0).
template <typename V>
class U64Map {
 public:
  void reserve(size_t count) {
    size_t capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    keys_.assign(capacity, kEmpty);
    values_.assign(capacity, V{});
  }
  /// Inserts or overwrites.
  void put(uint64_t key, V value) {
    if ((size_ + 1) * 2 > keys_.size()) grow();
    size_t i = probe(key);
    if (keys_[i] == kEmpty) ++size_;
    keys_[i] = key;
    values_[i] = value;
  }
  const V* find(uint64_t key) const {
    if (keys_.empty()) return nullptr;
    size_t i = probe(key);
    return keys_[i] == kEmpty ? nullptr : &values_[i];
  }
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  size_t probe(uint64_t key) const {
    size_t mask = keys_.size() - 1;
    size_t i = mix64(key) & mask;
    while (keys_[i] != kEmpty && keys_[i] != key) i = (i + 1) & mask;
    return i;
  }
  void grow() {
    std::vector<uint64_t> old_keys;
    std::vector<V> old_values;
    old_keys.swap(keys_);
    old_values.swap(values_);
    reserve(old_keys.empty() ? 8 : old_keys.size());
    size_ = 0;
    for (size_t i = 0; i < old_keys.size(); ++i) {
      if (old_keys[i] != kEmpty) put(old_keys[i], old_values[i]);
    }
  }
  std::vector<uint64_t> keys_;
  std::vector<V> values_;
  size_t size_ = 0;
};

}  // namespace hfb::tokenizer
