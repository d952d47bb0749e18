// Internal helpers shared by the scheme files: row loading, threading, scale storage, exact casts.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "core/dtype.h"
#include "quant/ggml_blocks.h"
#include "quant/scheme.h"

namespace hfb {
namespace quant_internal {

/// x86-64 `cvttss2si` (what GCC emits for float -> int8_t/int32_t): truncation, and the "integer
/// indefinite" INT32_MIN for NaN and out-of-range values. Defined behaviour for every input.
inline int32_t x86_truncate_i32(float v) {
  if (v >= -2147483648.0f && v < 2147483648.0f) return static_cast<int32_t>(v);
  return INT32_MIN;
}

/// ggml's `(int8_t)float` on x86-64: the low byte of cvttss2si.
inline int8_t x86_truncate_i8(float v) {
  const uint8_t low = static_cast<uint8_t>(static_cast<uint32_t>(x86_truncate_i32(v)) & 0xFFu);
  return static_cast<int8_t>(low);
}

/// An EncodedTensor for `src` under `scheme` with its name, shape and normalized params set and no codes,
/// scales or LUT yet (what every encoder fills in).
EncodedTensor encoded_shell(Scheme scheme, const SourceMatrix& src, const QuantParams& params);

/// Widens row `row` of `src` to float32 (exact for F16/BF16).
void load_row(const SourceMatrix& src, int64_t row, float* out);

/// Runs fn(begin, end) over [0, n) split into at most `num_threads` contiguous chunks. Results must not
/// depend on the split (each index is independent), so fast paths stay bit-identical to references.
template <typename Fn>
void parallel_for(int64_t n, int num_threads, Fn&& fn) {
  const int64_t threads = std::max<int64_t>(1, std::min<int64_t>(num_threads, n));
  if (threads <= 1) {
    if (n > 0) fn(int64_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  const int64_t chunk = (n + threads - 1) / threads;
  for (int64_t t = 1; t < threads; ++t) {
    const int64_t b = t * chunk;
    const int64_t e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back([&fn, b, e] { fn(b, e); });
  }
  fn(int64_t{0}, std::min(n, chunk));
  for (auto& th : pool) th.join();
}

/// Rounds a scale to its stored precision and writes it at scales[index]; returns the stored value
/// (the one decoding uses). f16 overflow yields +inf, which callers reject.
inline float store_scale(std::vector<uint8_t>& scales, int64_t index, float scale, bool f32) {
  if (f32) {
    std::memcpy(scales.data() + index * 4, &scale, 4);
    return scale;
  }
  const uint16_t h = f32_to_f16(scale);
  scales[index * 2] = static_cast<uint8_t>(h & 0xFF);
  scales[index * 2 + 1] = static_cast<uint8_t>(h >> 8);
  return f16_to_f32(h);
}

inline uint16_t read_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

/// Round half away from zero (as std::round) written so that it vectorises; exact for |v| < 2^31.
inline float round_half_away(float v) {
  const float a = std::fabs(v);
  const int32_t t = static_cast<int32_t>(a);
  const float r = static_cast<float>(t + ((a - static_cast<float>(t)) >= 0.5f ? 1 : 0));
  return v < 0.0f ? -r : r;
}

/// The row loop of the ggml block schemes (q4_0, q8_0): each row widened, quantized into `Block`s by the
/// scalar reference (single thread) or the fast routine (bit-identical), and copied to its codes row.
template <typename Block>
Status encode_ggml_rows(const SourceMatrix& src, bool reference, EncodedTensor* out,
                        void (*quantize_reference)(const float*, Block*, int64_t),
                        void (*quantize_fast)(const float*, Block*, int64_t)) {
  const int64_t stride = out->row_stride();
  out->codes.assign(static_cast<size_t>(src.rows * stride), 0);
  parallel_for(src.rows, reference ? 1 : out->params.num_threads, [&](int64_t b, int64_t e) {
    std::vector<float> x(static_cast<size_t>(src.cols));
    std::vector<Block> blocks(static_cast<size_t>(src.cols / kGgmlBlock));
    for (int64_t r = b; r < e; ++r) {
      load_row(src, r, x.data());
      (reference ? quantize_reference : quantize_fast)(x.data(), blocks.data(), src.cols);
      std::memcpy(out->codes.data() + r * stride, blocks.data(), static_cast<size_t>(stride));
    }
  });
  return ok_status();
}

/// Decodes row `row` of a ggml block scheme's codes block by block (codes rows need not be aligned).
template <typename Block>
void decode_ggml_row(const EncodedTensor& enc, int64_t row, float* out,
                     void (*dequantize)(const Block*, float*, int64_t)) {
  const int64_t nb = enc.cols / kGgmlBlock;
  const uint8_t* p = enc.codes.data() + row * enc.row_stride();
  for (int64_t i = 0; i < nb; ++i) {
    Block blk;
    std::memcpy(&blk, p + i * sizeof(Block), sizeof(Block));
    dequantize(&blk, out + i * kGgmlBlock, kGgmlBlock);
  }
}
/// Error figures of `enc` against `src` (double precision, rows summed in row order: any thread count).
QuantMetrics measure_encoded(const SourceMatrix& src, const EncodedTensor& enc, int num_threads);

// Scheme entry points (one file each). encode_* fill codes/scales/lut of `out`, whose scheme, shape,
// rows, cols and params are already set; `reference` selects the scalar single-thread oracle.
Status encode_none(const SourceMatrix& src, bool reference, EncodedTensor* out);
Status encode_int8(const SourceMatrix& src, bool reference, EncodedTensor* out);
Status encode_int4(const SourceMatrix& src, bool reference, EncodedTensor* out);
Status encode_q4_0(const SourceMatrix& src, bool reference, EncodedTensor* out);
Status encode_q8_0(const SourceMatrix& src, bool reference, EncodedTensor* out);
Status encode_kmeans(const SourceMatrix& src, bool reference, EncodedTensor* out);
// Weighted variants (quant/weighted_quantize.h): `weights` holds src.cols finite weights > 0.
Status encode_absmax_weighted(const SourceMatrix& src, const float* weights, bool reference, EncodedTensor* out);
Status encode_kmeans_weighted(const SourceMatrix& src, const float* weights, bool reference, EncodedTensor* out);
/// One row of int8 / int4 codes q[0 .. cols) packed into out->codes (the int8 / int4 layouts).
void pack_int8_row(EncodedTensor* out, int64_t row, const int8_t* q);
void pack_int4_row(EncodedTensor* out, int64_t row, const int8_t* q);

void decode_row_none(const EncodedTensor& enc, int64_t row, float* out);
void decode_row_int8(const EncodedTensor& enc, int64_t row, float* out);
void decode_row_int4(const EncodedTensor& enc, int64_t row, float* out);
void decode_row_q4_0(const EncodedTensor& enc, int64_t row, float* out);
void decode_row_q8_0(const EncodedTensor& enc, int64_t row, float* out);
void decode_row_kmeans(const EncodedTensor& enc, int64_t row, float* out);

}  // namespace quant_internal
}  // namespace hfb
