// Test helpers for quant/: an independent fp16 rounding, a tiny safetensors reader, random data.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"
#include "quant/policy.h"

namespace hfb {
namespace test {

/// fp32 -> fp16 round-to-nearest-even written independently of core (double arithmetic, nearbyint).
inline uint16_t independent_f16(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((b >> 16) & 0x8000u);
  if (std::isnan(f)) return sign | 0x7E00u;
  const double a = std::fabs(static_cast<double>(f));
  if (a >= 65520.0) return sign | 0x7C00u;
  if (a < std::ldexp(1.0, -14)) return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::nearbyint(a * std::ldexp(1.0, 24))));
  int e;
  std::frexp(a, &e);
  int exponent = e - 1;
  double q = std::nearbyint((a / std::ldexp(1.0, exponent) - 1.0) * 1024.0);
  if (q == 1024.0) {
    q = 0;
    ++exponent;
  }
  return static_cast<uint16_t>(sign | ((exponent + 15) << 10) | static_cast<uint16_t>(q));
}

/// x86-64 float -> int8_t conversion (cvttss2si, low byte), UB-free.
inline int8_t x86_cast_i8(float v) {
  int32_t t = INT32_MIN;
  if (v > -2147483904.0f && v < 2147483648.0f) t = static_cast<int32_t>(v);
  return static_cast<int8_t>(static_cast<uint8_t>(static_cast<uint32_t>(t) & 0xFF));
}

struct Tensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

/// Reads every tensor of a safetensors file (test-local, trusts the fixture).
inline std::vector<Tensor> read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_GT(file.size(), 8u) << path;
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  const auto header = nlohmann::json::parse(file.begin() + 8, file.begin() + 8 + static_cast<int64_t>(n));
  std::vector<Tensor> out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    Tensor t;
    t.name = it.key();
    t.dtype = it.value()["dtype"].get<std::string>();
    t.shape = it.value()["shape"].get<std::vector<int64_t>>();
    const auto off = it.value()["data_offsets"].get<std::vector<uint64_t>>();
    t.bytes.assign(file.begin() + 8 + n + off[0], file.begin() + 8 + n + off[1]);
    out.push_back(std::move(t));
  }
  return out;
}

inline std::vector<float> widen(const Tensor& t) {
  std::vector<float> out;
  if (t.dtype == "F32") {
    out.resize(t.bytes.size() / 4);
    std::memcpy(out.data(), t.bytes.data(), t.bytes.size());
  } else if (t.dtype == "BF16" || t.dtype == "F16") {
    for (size_t i = 0; i + 1 < t.bytes.size(); i += 2) {
      const uint16_t h = static_cast<uint16_t>(t.bytes[i] | (t.bytes[i + 1] << 8));
      out.push_back(t.dtype == "BF16" ? bf16_to_f32(h) : f16_to_f32(h));
    }
  }
  return out;
}

/// bf16 patterns of N(0, sigma) values.
inline std::vector<uint16_t> random_bf16(size_t n, float sigma, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<uint16_t> out(n);
  for (auto& v : out) v = f32_to_bf16(dist(rng));
  return out;
}

/// A float32 tensor record for policy tests (no data source).
inline TensorInfo policy_tensor(std::string name, Shape shape, Role role, Tower tower = Tower::kText) {
  TensorInfo info;
  info.name = std::move(name);
  info.dtype = DTypeId::kF32;
  info.shape = std::move(shape);
  info.num_bytes = info.shape.num_bytes(info.dtype).value_or(0);
  info.role = role;
  info.tower = tower;
  return info;
}

/// QuantPolicy::create that must succeed.
inline QuantPolicy make_policy(QuantPolicyOptions options) {
  auto policy = QuantPolicy::create(std::move(options));
  EXPECT_TRUE(policy.ok()) << policy.error().to_string();
  return std::move(policy).value();
}

}  // namespace test
}  // namespace hfb
