// q4_0 / q8_0: byte-exact with ggml's reference quantizers (hand-checked vectors, a test-side port, fixtures).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "quant/ggml_blocks.h"
#include "quant/scheme.h"
#include "tests/quant/quant_test_util.h"

namespace hfb {
namespace {

using test::independent_f16;
using test::x86_cast_i8;

// Test-side port of ggml quantize_row_q4_0_ref (x86-64, no FMA): written from the reference doc.
std::vector<uint8_t> port_q4_0(const float* x, int64_t k) {
  std::vector<uint8_t> out;
  for (int64_t i = 0; i < k / 32; ++i) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; j++) {
      const float v = x[i * 32 + j];
      if (amax < fabsf(v)) { amax = fabsf(v); max = v; }
    }
    const float d = max / -8;
    const float id = d ? 1.0f / d : 0.0f;
    const uint16_t h = independent_f16(d);
    out.push_back(static_cast<uint8_t>(h & 0xFF));
    out.push_back(static_cast<uint8_t>(h >> 8));
    for (int j = 0; j < 16; ++j) {
      volatile float x0 = x[i * 32 + j] * id;  // volatile: two roundings whatever the flags
      volatile float x1 = x[i * 32 + 16 + j] * id;
      const int8_t c0 = x86_cast_i8(x0 + 8.5f), c1 = x86_cast_i8(x1 + 8.5f);
      const uint8_t xi0 = static_cast<uint8_t>(c0 > 15 ? 15 : c0);
      const uint8_t xi1 = static_cast<uint8_t>(c1 > 15 ? 15 : c1);
      out.push_back(static_cast<uint8_t>(xi0 | (xi1 << 4)));
    }
  }
  return out;
}

// Test-side port of ggml quantize_row_q8_0_ref.
std::vector<uint8_t> port_q8_0(const float* x, int64_t k) {
  std::vector<uint8_t> out;
  for (int64_t i = 0; i < k / 32; ++i) {
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) amax = amax > fabsf(x[i * 32 + j]) ? amax : fabsf(x[i * 32 + j]);
    const float d = amax / 127;
    const float id = d ? 1.0f / d : 0.0f;
    const uint16_t h = independent_f16(d);
    out.push_back(static_cast<uint8_t>(h & 0xFF));
    out.push_back(static_cast<uint8_t>(h >> 8));
    for (int j = 0; j < 32; ++j) out.push_back(static_cast<uint8_t>(x86_cast_i8(roundf(x[i * 32 + j] * id))));
  }
  return out;
}

std::vector<uint8_t> lib_q4_0(const std::vector<float>& x, bool fast) {
  std::vector<BlockQ4_0> b(x.size() / 32);
  if (fast) quantize_row_q4_0_fast(x.data(), b.data(), static_cast<int64_t>(x.size()));
  else quantize_row_q4_0_reference(x.data(), b.data(), static_cast<int64_t>(x.size()));
  const uint8_t* p = reinterpret_cast<const uint8_t*>(b.data());
  return std::vector<uint8_t>(p, p + b.size() * 18);
}

std::vector<uint8_t> lib_q8_0(const std::vector<float>& x, bool fast) {
  std::vector<BlockQ8_0> b(x.size() / 32);
  if (fast) quantize_row_q8_0_fast(x.data(), b.data(), static_cast<int64_t>(x.size()));
  else quantize_row_q8_0_reference(x.data(), b.data(), static_cast<int64_t>(x.size()));
  const uint8_t* p = reinterpret_cast<const uint8_t*>(b.data());
  return std::vector<uint8_t>(p, p + b.size() * 34);
}

std::vector<uint8_t> q4_bytes(uint16_t d, std::vector<uint8_t> qs) {
  std::vector<uint8_t> out(2 + qs.size());
  out[0] = static_cast<uint8_t>(d & 0xFF);
  out[1] = static_cast<uint8_t>(d >> 8);
  for (size_t i = 0; i < qs.size(); ++i) out[2 + i] = qs[i];
  return out;
}

// Checks the expected block against the library (both paths) and the test port.
void expect_q4_0(const std::vector<float>& x, const std::vector<uint8_t>& expected) {
  EXPECT_EQ(lib_q4_0(x, false), expected);
  EXPECT_EQ(lib_q4_0(x, true), expected);
  EXPECT_EQ(port_q4_0(x.data(), 32), expected);
}

void expect_q8_0(const std::vector<float>& x, const std::vector<uint8_t>& expected) {
  EXPECT_EQ(lib_q8_0(x, false), expected);
  EXPECT_EQ(lib_q8_0(x, true), expected);
  EXPECT_EQ(port_q8_0(x.data(), 32), expected);
}

TEST(Q4_0, AllZeroBlockStoresNegativeZeroScale) {
  // max = +0, d = 0 / -8 = -0 -> fp16 0x8000; id = 0; every code (0*0 + 8.5) -> 8.
  expect_q4_0(std::vector<float>(32, 0.0f), q4_bytes(0x8000, std::vector<uint8_t>(16, 0x88)));
  std::vector<float> neg_zero(32, -0.0f);
  expect_q4_0(neg_zero, q4_bytes(0x8000, std::vector<uint8_t>(16, 0x88)));
}

TEST(Q4_0, TiesFirstMaximumWins) {
  std::vector<float> x(32, 0.0f);
  x[3] = 1.0f;
  x[7] = -1.0f;  // same |v|: x[3] came first, so max = +1, d = -0.125 (0xB000), id = -8
  std::vector<uint8_t> qs(16, 0x88);
  qs[3] = 0x80;  // +1 * -8 + 8.5 = 0.5 -> 0
  qs[7] = 0x8F;  // -1 * -8 + 8.5 = 16.5 -> 16 -> MIN(15, .)
  expect_q4_0(x, q4_bytes(0xB000, qs));
  std::swap(x[3], x[7]);  // now the negative one is first: d = +0.125 (0x3000)
  qs[3] = 0x80;
  qs[7] = 0x8F;
  expect_q4_0(x, q4_bytes(0x3000, qs));
}

TEST(Q4_0, SingleOutlierIsCodeZero) {
  std::vector<float> x(32, 0.375f);
  x[20] = -3.0f;  // d = 0.375 (0x3600), id = 2.6666667: 0.375 -> 9.5 -> 9, -3 -> 0.5 -> 0
  std::vector<uint8_t> qs(16, 0x99);
  qs[4] = 0x09;  // element 20 = high nibble of byte 4
  expect_q4_0(x, q4_bytes(0x3600, qs));
}

TEST(Q4_0, PositiveExtremeGivesNegativeScale) {
  std::vector<float> x(32, -1.0f);
  x[0] = 8.0f;  // d = -1 (0xBC00), id = -1: 8 -> 0.5 -> 0; -1 -> 9.5 -> 9
  std::vector<uint8_t> qs(16, 0x99);
  qs[0] = 0x90;
  expect_q4_0(x, q4_bytes(0xBC00, qs));
}

TEST(Q4_0, FmaExampleFromTheDocIsCodeOne) {
  std::vector<float> x(32, 0.0f);
  x[0] = -0.15625f;      // d = 0.01953125 (0x2500), id = 51.200001
  x[1] = -0.146484375f;  // x*id = -7.5 exactly after rounding; +8.5 = 1.0 (fused: 0.99999988 -> 0)
  std::vector<uint8_t> qs(16, 0x88);
  qs[0] = 0x80;
  qs[1] = 0x81;
  expect_q4_0(x, q4_bytes(0x2500, qs));
}

TEST(Q4_0, NonFiniteInputsBehaveAsX86Ggml) {
  std::vector<float> x(32, 1.0f);
  x[5] = std::numeric_limits<float>::infinity();  // max = inf, d = -inf (0xFC00), id = -0
  std::vector<uint8_t> qs(16, 0x88);
  qs[5] = 0x80;  // inf * -0 = NaN -> cvttss2si indefinite -> low byte 0
  expect_q4_0(x, q4_bytes(0xFC00, qs));

  std::vector<float> y(32, 0.5f);
  y[2] = std::numeric_limits<float>::quiet_NaN();  // never the max
  y[9] = -2.0f;                                    // d = 0.25 (0x3400), id = 4
  std::vector<uint8_t> qy(16, 0xAA);               // 0.5 * 4 + 8.5 = 10.5 -> 10
  qy[2] = 0xA0;                                    // NaN -> 0
  qy[9] = 0xA0;                                    // -8 + 8.5 -> 0
  expect_q4_0(y, q4_bytes(0x3400, qy));
}

TEST(Q4_0, TinyBlocksGetInfiniteInverseAndZeroCodes) {
  // max below 2^-125: 1/d overflows to inf; codes are all 0 and the fp16 scale underflows to -0.
  std::vector<float> x(32, 1e-39f);
  x[4] = 0.0f;  // 0 * inf = NaN -> 0 as well
  expect_q4_0(x, q4_bytes(0x8000, std::vector<uint8_t>(16, 0x00)));
  // Smaller still, d = max / -8 itself underflows to +0: id = 0 and every code is 8.
  std::vector<float> denormal(32, 0.0f);
  denormal[0] = -std::numeric_limits<float>::denorm_min();
  expect_q4_0(denormal, q4_bytes(0x0000, std::vector<uint8_t>(16, 0x88)));
}

TEST(Q4_0, ScalesNearFp16Overflow) {
  std::vector<float> x(32, 0.0f);
  x[0] = -524032.0f;  // d = 65504 = fp16 max (0x7BFF)
  std::vector<uint8_t> qs(16, 0x88);
  qs[0] = 0x80;
  expect_q4_0(x, q4_bytes(0x7BFF, qs));
  x[0] = -524288.0f;  // d = 65536 -> rounds to +inf in fp16
  expect_q4_0(x, q4_bytes(0x7C00, qs));
}

TEST(Q8_0, HandCheckedBlocks) {
  std::vector<uint8_t> zero(34, 0);
  expect_q8_0(std::vector<float>(32, 0.0f), zero);  // d = 0, id = 0, codes 0

  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;  // d = 1 (0x3C00): roundf is half away from zero
  x[1] = 0.5f;
  x[2] = -0.5f;
  x[3] = 1.5f;
  x[4] = -2.5f;
  std::vector<uint8_t> e(34, 0);
  e[0] = 0x00; e[1] = 0x3C;
  e[2] = 127; e[3] = 1; e[4] = 0xFF; e[5] = 2; e[6] = static_cast<uint8_t>(-3);
  expect_q8_0(x, e);

  std::vector<float> y(32, 0.0f);
  y[7] = -254.0f;  // negative extreme: d = 2 (0x4000), id = 0.5
  y[8] = 3.0f;     // 1.5 -> 2
  std::vector<uint8_t> ey(34, 0);
  ey[1] = 0x40;
  ey[2 + 7] = static_cast<uint8_t>(-127);
  ey[2 + 8] = 2;
  expect_q8_0(y, ey);
}

TEST(Q8_0, NonFiniteInputsBehaveAsX86Ggml) {
  // MAX(amax, NaN) is NaN and the next element replaces it: amax = 1, d = 1/127 (0x2008), id = 127.
  std::vector<float> x(32, 0.0f);
  x[0] = 5.0f;
  x[1] = std::numeric_limits<float>::quiet_NaN();
  x[2] = 1.0f;
  std::vector<uint8_t> e(34, 0);
  e[0] = 0x08; e[1] = 0x20;
  e[2] = 123;  // roundf(635) -> int8 cast keeps the low byte: 635 - 512
  e[3] = 0;    // NaN -> 0
  e[4] = 127;
  expect_q8_0(x, e);

  std::vector<float> y(32, 1.0f);
  y[3] = -std::numeric_limits<float>::infinity();  // d = inf (0x7C00), id = 0, -inf * 0 = NaN -> 0
  std::vector<uint8_t> ey(34, 0);
  ey[1] = 0x7C;
  expect_q8_0(y, ey);
}

std::vector<float> nasty_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::uniform_int_distribution<int> pick(0, 99);
  const float specials[] = {0.0f, -0.0f, 1e-39f, -1e-39f, 65504.0f * 8, -70000.0f * 8,
                            std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                            1e-30f, 3e38f, -0.146484375f, -0.15625f};
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    const int p = pick(rng);
    if (p < 2) x[i] = specials[rng() % (sizeof(specials) / sizeof(float))];
    else if (p < 4) x[i] = normal(rng) * 1e-37f;       // denormal-scale blocks
    else if (p < 6) x[i] = std::round(normal(rng) * 400.0f) / 8.0f;  // many exact ties
    else x[i] = normal(rng);
  }
  return x;
}

TEST(GgmlBlocks, FastMatchesScalarAndPortOnAMillionValues) {
  const std::vector<float> x = nasty_values(1 << 20, 7);
  const auto ref4 = lib_q4_0(x, false);
  EXPECT_EQ(lib_q4_0(x, true), ref4);
  EXPECT_EQ(port_q4_0(x.data(), static_cast<int64_t>(x.size())), ref4);
  const auto ref8 = lib_q8_0(x, false);
  EXPECT_EQ(lib_q8_0(x, true), ref8);
  EXPECT_EQ(port_q8_0(x.data(), static_cast<int64_t>(x.size())), ref8);
}

TEST(GgmlBlocks, FixtureTensorsMatchThePort) {
  int compared = 0;
  for (const char* set : {"sample", "text-kveqv", "grid-q4_0"}) {
    for (const auto& t : test::read_safetensors(std::string(HFB_FIXTURES_DIR) + "/gemma4/" + set + "/model.safetensors")) {
      if (t.shape.empty() || t.shape.back() % 32 != 0) continue;
      const std::vector<float> x = test::widen(t);
      if (x.empty()) continue;
      const int64_t rows = static_cast<int64_t>(x.size()) / t.shape.back();
      SourceMatrix src{t.bytes.data(), *DType::from_name(t.dtype), rows, t.shape.back(), t.name};
      QuantParams params;
      params.compute_metrics = false;
      auto q4 = quantize(Scheme::kQ4_0, src, params);
      auto q8 = quantize(Scheme::kQ8_0, src, params);
      ASSERT_TRUE(q4.ok() && q8.ok()) << t.name;
      EXPECT_EQ(q4->codes, port_q4_0(x.data(), static_cast<int64_t>(x.size()))) << set << " " << t.name;
      EXPECT_EQ(q8->codes, port_q8_0(x.data(), static_cast<int64_t>(x.size()))) << set << " " << t.name;
      ++compared;
    }
  }
  EXPECT_GT(compared, 40);
}

TEST(GgmlBlocks, GridFixtureIsLosslessUnderQ4_0) {
  int lossless = 0;
  for (const auto& t : test::read_safetensors(std::string(HFB_FIXTURES_DIR) + "/gemma4/grid-q4_0/model.safetensors")) {
    if (t.shape.size() != 2 || t.shape.back() % 32 != 0 || t.name.find("embed") != std::string::npos ||
        t.name.find("per_layer_projection") != std::string::npos || t.shape[0] * t.shape[1] <= 256) {
      continue;
    }
    SourceMatrix src{t.bytes.data(), *DType::from_name(t.dtype), t.shape[0], t.shape[1], t.name};
    auto q = quantize(Scheme::kQ4_0, src, QuantParams{});
    ASSERT_TRUE(q.ok()) << t.name;
    EXPECT_EQ(q->metrics.sse, 0.0) << t.name;
    lossless += q->metrics.sse == 0.0;
  }
  EXPECT_GE(lossless, 20);
}

}  // namespace
}  // namespace hfb
