// ggml's q4_0 / q8_0 block layouts and row quantizers, byte-compatible with ggml-quants.c.
#pragma once

#include <cstdint>

namespace hfb {

/// ggml block_q4_0: 32 weights. d = fp16 scale (little-endian), qs[j] = code[j] | code[j + 16] << 4,
/// weight = (code - 8) * d.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_0) == 18, "ggml block_q4_0 is 18 bytes");

/// ggml block_q8_0: 32 weights. d = fp16 scale, qs = int8 codes, weight = qs * d.
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8_0) == 34, "ggml block_q8_0 is 34 bytes");

constexpr int kGgmlBlock = 32;

/// ggml quantize_row_q4_0_ref on x86-64 without FMA, as a scalar oracle: k % 32 == 0 (checked).
/// Non-finite and out-of-range conversions reproduce the x86 result (code 0) without UB.
void quantize_row_q4_0_reference(const float* x, BlockQ4_0* y, int64_t k);
/// Bit-identical to quantize_row_q4_0_reference, SIMD (SSE2) where available.
void quantize_row_q4_0_fast(const float* x, BlockQ4_0* y, int64_t k);
void dequantize_row_q4_0(const BlockQ4_0* x, float* y, int64_t k);

/// ggml quantize_row_q8_0_ref (round half away from zero), scalar oracle; k % 32 == 0 (checked).
void quantize_row_q8_0_reference(const float* x, BlockQ8_0* y, int64_t k);
/// Bit-identical to quantize_row_q8_0_reference, SIMD (SSE2) where available.
void quantize_row_q8_0_fast(const float* x, BlockQ8_0* y, int64_t k);
void dequantize_row_q8_0(const BlockQ8_0* x, float* y, int64_t k);

}  // namespace hfb
