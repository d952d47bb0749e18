// quantize_with_row_metrics: the fused bf16 path gives quantize()'s bytes and the unfused path's figures exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "quant/fused_encode.h"
#include "quant/scheme.h"

namespace hfb {
namespace {

/// bf16 test data: normal values of several magnitudes per row, an all-zero row, exact ties of max, and
/// (when `specials`) NaN / inf / huge values in a few rows.
std::vector<uint16_t> bf16_data(int64_t rows, int64_t cols, bool specials, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<uint16_t> out(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    const float scale = std::ldexp(1.0f, static_cast<int>(r % 40) - 30);  // 2^-30 .. 2^9: f16 subnormal scales too
    for (int64_t c = 0; c < cols; ++c) out[static_cast<size_t>(r * cols + c)] = f32_to_bf16(normal(rng) * scale);
  }
  for (int64_t c = 0; c < cols; ++c) out[static_cast<size_t>(1 * cols + c)] = 0;  // row 1: zeros
  for (int64_t c = 0; c < cols; c += 7) out[static_cast<size_t>(2 * cols + c)] = f32_to_bf16(c % 2 ? 3.0f : -3.0f);
  out[static_cast<size_t>(3 * cols + 5)] = 0x8000;  // -0.0
  if (specials) {
    out[static_cast<size_t>(4 * cols + 3)] = 0x7FC0;   // NaN
    out[static_cast<size_t>(5 * cols + 9)] = 0xFF80;   // -inf
    out[static_cast<size_t>(6 * cols + 1)] = 0x7F7F;   // bf16 max finite
  }
  return out;
}

std::vector<float> widened(const std::vector<uint16_t>& bf16) {
  std::vector<float> out(bf16.size());
  for (size_t i = 0; i < bf16.size(); ++i) out[i] = bf16_to_f32(bf16[i]);
  return out;
}

SourceMatrix matrix(const void* data, DType dtype, int64_t rows, int64_t cols) {
  SourceMatrix m;
  m.data = data;
  m.dtype = dtype;
  m.rows = rows;
  m.cols = cols;
  m.name = "fused.weight";
  return m;
}

void expect_same_metrics(const QuantMetrics& a, const QuantMetrics& b) {
  EXPECT_EQ(a.num_weights, b.num_weights);
  EXPECT_EQ(a.sse, b.sse);
  EXPECT_EQ(a.signal, b.signal);
  EXPECT_EQ(a.max_abs_error, b.max_abs_error);
  EXPECT_EQ(a.max_abs_value, b.max_abs_value);
}

// Fused bf16 vs the same values as f32 (unfused: quantize, then decode and measure), 1 and 2 threads.
void expect_fused_equals_unfused(Scheme scheme, int64_t rows, int64_t cols, bool specials) {
  const std::vector<uint16_t> bf16 = bf16_data(rows, cols, specials, 11);
  const std::vector<float> f32 = widened(bf16);
  const SourceMatrix fused_src = matrix(bf16.data(), DTypeId::kBF16, rows, cols);
  const SourceMatrix plain_src = matrix(f32.data(), DTypeId::kF32, rows, cols);
  QuantParams params;
  ASSERT_TRUE(fused_encode_supported(scheme, fused_src, params));
  ASSERT_FALSE(fused_encode_supported(scheme, plain_src, params));
  auto unfused = quantize_with_row_metrics(scheme, plain_src, params);
  ASSERT_TRUE(unfused.ok()) << unfused.error().to_string();
  auto reference = quantize_reference(scheme, fused_src, params);
  ASSERT_TRUE(reference.ok()) << reference.error().to_string();
  EXPECT_EQ(unfused->codes, reference->codes);
  for (FusedIsa isa : {FusedIsa::kBest, FusedIsa::kSse2}) {  // kBest is AVX2 on most x86-64 CPUs
    for (int threads : {1, 2}) {
      params.num_threads = threads;
      auto fused = quantize_with_row_metrics(scheme, fused_src, params, isa);
      ASSERT_TRUE(fused.ok()) << fused.error().to_string();
      const std::string what = std::string(scheme_name(scheme)) + (isa == FusedIsa::kSse2 ? " sse2" : " best") +
                               " threads " + std::to_string(threads);
      EXPECT_EQ(fused->codes, reference->codes) << what;
      EXPECT_EQ(fused->scales, reference->scales) << what;
      EXPECT_TRUE(validate_encoded(*fused).ok());
      expect_same_metrics(fused->metrics, unfused->metrics);
    }
  }
  EXPECT_EQ(unfused->metrics.num_weights, rows * cols);
  EXPECT_GT(unfused->metrics.sse, 0.0);
}

TEST(FusedEncode, Q4_0Bf16EqualsReferenceBytesAndUnfusedFigures) {
  expect_fused_equals_unfused(Scheme::kQ4_0, 45, 256, false);
}

TEST(FusedEncode, Q4_0Bf16WithNanAndInfIsRefusedLikeTheReference) {
  const std::vector<uint16_t> bf16 = bf16_data(9, 128, true, 5);
  const SourceMatrix src = matrix(bf16.data(), DTypeId::kBF16, 9, 128);
  QuantParams allow;
  allow.allow_nonfinite = true;  // still refused: a quantizer never turns NaN/Inf into finite values
  for (const QuantParams& params : {QuantParams{}, allow}) {
    EXPECT_FALSE(quantize_reference(Scheme::kQ4_0, src, params).ok());
    for (FusedIsa isa : {FusedIsa::kBest, FusedIsa::kSse2}) {
      auto refused = quantize_with_row_metrics(Scheme::kQ4_0, src, params, isa);
      ASSERT_FALSE(refused.ok());
      EXPECT_NE(refused.error().message.find("row 4, column 3"), std::string::npos) << refused.error().message;
    }
  }
}

TEST(FusedEncode, Int8PerRowBf16EqualsReferenceBytesAndUnfusedFigures) {
  expect_fused_equals_unfused(Scheme::kInt8, 45, 203, false);  // 203: a scalar tail of 3 per row
  expect_fused_equals_unfused(Scheme::kInt8, 40, 1536, false);
}

// Reused code storage (garbage of the right size, or too small) gives the same bytes.
TEST(FusedEncode, ReusedCodeStorageIsFullyOverwritten) {
  const std::vector<uint16_t> bf16 = bf16_data(12, 96, false, 4);
  const SourceMatrix src = matrix(bf16.data(), DTypeId::kBF16, 12, 96);
  for (Scheme scheme : {Scheme::kQ4_0, Scheme::kInt8}) {
    auto reference = quantize_reference(scheme, src, QuantParams{});
    ASSERT_TRUE(reference.ok());
    for (size_t size : {reference->codes.size(), size_t{7}}) {
      auto fused = quantize_with_row_metrics(scheme, src, QuantParams{}, FusedIsa::kBest,
                                             std::vector<uint8_t>(size, 0xAB));
      ASSERT_TRUE(fused.ok());
      EXPECT_EQ(fused->codes, reference->codes) << scheme_name(scheme) << " storage of " << size;
    }
  }
}

TEST(FusedEncode, Int8NonFiniteFailsAsQuantizeNamingTheRow) {
  const std::vector<uint16_t> bf16 = bf16_data(9, 64, true, 3);
  const SourceMatrix src = matrix(bf16.data(), DTypeId::kBF16, 9, 64);
  auto fused = quantize_with_row_metrics(Scheme::kInt8, src, QuantParams{});
  auto plain = quantize(Scheme::kInt8, src, QuantParams{});
  ASSERT_FALSE(fused.ok());
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(fused.error().to_string(), plain.error().to_string());
  EXPECT_NE(fused.error().to_string().find("row 4"), std::string::npos) << fused.error().to_string();
}

TEST(FusedEncode, Int8ScaleOverflowFailsAsQuantize) {
  std::vector<uint16_t> bf16(64, f32_to_bf16(0.5f));
  bf16[10] = f32_to_bf16(1e7f);  // 1e7 / 127 > 65504: no f16 scale
  const SourceMatrix src = matrix(bf16.data(), DTypeId::kBF16, 2, 32);
  auto fused = quantize_with_row_metrics(Scheme::kInt8, src, QuantParams{});
  auto plain = quantize(Scheme::kInt8, src, QuantParams{});
  ASSERT_FALSE(fused.ok());
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(fused.error().to_string(), plain.error().to_string());
}

TEST(FusedEncode, OnlyBf16Q4_0AndInt8PerRowF16AreFused) {
  const std::vector<uint16_t> bf16(64 * 64, 0);
  const SourceMatrix src = matrix(bf16.data(), DTypeId::kBF16, 64, 64);
  QuantParams block32, per_tensor, f32_scales;
  block32.block_size = 32;
  per_tensor.per_tensor = true;
  f32_scales.f32_scales = true;
  EXPECT_TRUE(fused_encode_supported(Scheme::kQ4_0, src, {}));
  EXPECT_TRUE(fused_encode_supported(Scheme::kInt8, src, {}));
  EXPECT_FALSE(fused_encode_supported(Scheme::kInt8, src, block32));
  EXPECT_FALSE(fused_encode_supported(Scheme::kInt8, src, per_tensor));
  EXPECT_FALSE(fused_encode_supported(Scheme::kInt8, src, f32_scales));
  EXPECT_FALSE(fused_encode_supported(Scheme::kQ8_0, src, {}));
  EXPECT_FALSE(fused_encode_supported(Scheme::kInt4, src, {}));
  EXPECT_FALSE(fused_encode_supported(Scheme::kQ4_0, matrix(bf16.data(), DTypeId::kBF16, 64, 48), {}));
}

// Unfused schemes still get row_error_lanes figures, close to quantize()'s double-precision metrics.
TEST(FusedEncode, UnfusedSchemesMatchQuantizeMetricsToFloatRounding) {
  const std::vector<uint16_t> bf16 = bf16_data(16, 96, false, 9);
  const SourceMatrix src = matrix(bf16.data(), DTypeId::kBF16, 16, 96);
  for (Scheme scheme : {Scheme::kQ8_0, Scheme::kInt4, Scheme::kKmeans4}) {
    auto measured = quantize_with_row_metrics(scheme, src, QuantParams{});
    auto whole = quantize(scheme, src, QuantParams{});
    ASSERT_TRUE(measured.ok() && whole.ok()) << scheme_name(scheme);
    EXPECT_EQ(measured->codes, whole->codes);
    EXPECT_NEAR(measured->metrics.snr_db(), whole->metrics.snr_db(), 1e-3) << scheme_name(scheme);
    EXPECT_EQ(measured->metrics.max_abs_error, whole->metrics.max_abs_error) << scheme_name(scheme);
  }
}

TEST(FusedEncode, RowErrorLanesSumsEachLaneInElementOrder) {
  std::vector<float> x(19), y(19, 0.0f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) - 9.0f;
  y[4] = 1.0f;
  const QuantMetrics m = row_error_lanes(x.data(), y.data(), 19);
  double signal = 0;
  for (float v : x) signal += static_cast<double>(v) * v;
  EXPECT_EQ(m.num_weights, 19);
  EXPECT_EQ(m.signal, signal);
  EXPECT_EQ(m.sse, signal - 25.0 + 36.0);  // x[4] = -5 against 1: error 6 instead of 5
  EXPECT_EQ(m.max_abs_error, 9.0);
  EXPECT_EQ(m.max_abs_value, 9.0);
}

}  // namespace
}  // namespace hfb
