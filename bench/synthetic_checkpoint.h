// Writing synthetic bf16 safetensors checkpoints for the benchmarks (bench/synthetic_e2b.h,
// bench/synthetic_26b_a4b.h): the tensor list, a 64-byte aligned header, deterministic bell-shaped weights.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace hfb_bench {

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  uint64_t bytes() const {
    uint64_t n = 2;
    for (int64_t d : shape) n *= static_cast<uint64_t>(d);
    return n;
  }
};

inline std::string safetensors_header(const std::vector<Tensor>& tensors) {
  std::string h = "{";
  uint64_t at = 0;
  for (const Tensor& t : tensors) {
    std::string shape;
    for (int64_t d : t.shape) shape += std::string(shape.empty() ? "" : ",") + std::to_string(d);
    h += "\"" + t.name + "\":{\"dtype\":\"BF16\",\"shape\":[" + shape + "],\"data_offsets\":[" + std::to_string(at) +
         "," + std::to_string(at + t.bytes()) + "]},";
    at += t.bytes();
  }
  h.back() = '}';
  while ((h.size() + 8) % 64 != 0) h += ' ';  // data 64-byte aligned in the file
  return h;
}

/// Fills `out` with bf16 values of a cheap deterministic bell-shaped distribution, std ~0.02.
inline void fill_bf16(std::vector<uint16_t>& out, uint64_t* state) {
  for (uint16_t& v : out) {
    uint64_t x = (*state += 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    const float u = (static_cast<float>(x & 0xFFFF) + static_cast<float>((x >> 16) & 0xFFFF) +
                     static_cast<float>((x >> 32) & 0xFFFF) - 98302.5f) / 65536.0f;  // sum of 3 uniforms
    const float f = u * 0.04f;
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    v = static_cast<uint16_t>(bits >> 16);
  }
}

/// Writes `dir`/config.json and `dir`/model.safetensors holding `tensors` (bf16, generated block by block: the
/// writer's memory stays flat); `bytes` = the tensor bytes written.
inline bool write_checkpoint_files(const std::string& dir, const std::string& config,
                                   const std::vector<Tensor>& tensors, uint64_t* bytes) {
  if (std::system(("mkdir -p '" + dir + "'").c_str()) != 0) return false;
  FILE* cfg = std::fopen((dir + "/config.json").c_str(), "w");
  if (!cfg) return false;
  std::fputs(config.c_str(), cfg);
  std::fclose(cfg);
  const std::string header = safetensors_header(tensors);
  FILE* f = std::fopen((dir + "/model.safetensors").c_str(), "wb");
  if (!f) return false;
  const uint64_t header_size = header.size();
  std::fwrite(&header_size, 8, 1, f);
  std::fwrite(header.data(), 1, header.size(), f);
  std::vector<uint16_t> buffer(4u << 20);
  uint64_t state = 42;
  *bytes = 0;
  for (const Tensor& t : tensors) {
    for (uint64_t left = t.bytes() / 2; left > 0;) {
      const uint64_t n = std::min<uint64_t>(left, buffer.size());
      buffer.resize(n);
      fill_bf16(buffer, &state);
      if (std::fwrite(buffer.data(), 2, n, f) != n) return std::fclose(f), false;
      left -= n;
      buffer.resize(4u << 20);
    }
    *bytes += t.bytes();
  }
  return std::fclose(f) == 0;
}

/// The config's "layer_types" list: "full_attention" where `is_full(layer, layers)`, else "sliding_attention".
inline std::string layer_types_json(int layers, bool (*is_full)(int layer, int layers)) {
  std::string types;
  for (int i = 0; i < layers; ++i) {
    types += std::string(i ? "," : "") + (is_full(i, layers) ? "\"full_attention\"" : "\"sliding_attention\"");
  }
  return "[" + types + "]";
}

inline uint64_t tensors_bytes(const std::vector<Tensor>& tensors) {
  uint64_t total = 0;
  for (const Tensor& t : tensors) total += t.bytes();
  return total;
}

}  // namespace hfb_bench
