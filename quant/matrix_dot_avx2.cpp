// AVX2+FMA+F16C fused decode-and-dot kernels, one per row format, picked at run time (matrix_dot_rows).
// Each weight is decoded to exactly the float the scalar decoder gives, then multiplied and accumulated
// with FMA into four 8-lane float32 accumulators: only the summation order differs from the reference.
#include <cpuid.h>
#include <algorithm>
#include <cstring>

#include "quant/matrix_view.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HFB_SIMD __attribute__((target("avx2,fma,f16c")))

namespace hfb {
namespace matrix_internal {
namespace {

/// Four accumulators (32 columns per step) so FMA latency does not serialise the loop.
struct Acc {
  __m256 a0, a1, a2, a3;
  float tail = 0.0f;  // scalar columns (odd starts, row ends)
};

HFB_SIMD inline void acc_zero(Acc* acc) {
  acc->a0 = acc->a1 = acc->a2 = acc->a3 = _mm256_setzero_ps();
  acc->tail = 0.0f;
}

HFB_SIMD inline float acc_sum(const Acc& acc) {
  const __m256 s = _mm256_add_ps(_mm256_add_ps(acc.a0, acc.a1), _mm256_add_ps(acc.a2, acc.a3));
  __m128 v = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  v = _mm_add_ps(v, _mm_movehl_ps(v, v));
  v = _mm_add_ss(v, _mm_movehdup_ps(v));
  return _mm_cvtss_f32(v) + acc.tail;
}

HFB_SIMD inline __m256 bytes_to_ps(__m128i eight_i8) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(eight_i8)); }

/// 32 signed bytes q (as two 16-byte halves) times scale d, dotted with x[0..32).
HFB_SIMD inline void fma32_i8(Acc* acc, __m128i lo, __m128i hi, __m256 d, const float* x) {
  acc->a0 = _mm256_fmadd_ps(_mm256_mul_ps(bytes_to_ps(lo), d), _mm256_loadu_ps(x), acc->a0);
  acc->a1 = _mm256_fmadd_ps(_mm256_mul_ps(bytes_to_ps(_mm_srli_si128(lo, 8)), d), _mm256_loadu_ps(x + 8), acc->a1);
  acc->a2 = _mm256_fmadd_ps(_mm256_mul_ps(bytes_to_ps(hi), d), _mm256_loadu_ps(x + 16), acc->a2);
  acc->a3 = _mm256_fmadd_ps(_mm256_mul_ps(bytes_to_ps(_mm_srli_si128(hi, 8)), d), _mm256_loadu_ps(x + 24), acc->a3);
}

HFB_SIMD float row_f32(const float* w, const float* x, int64_t n) {
  Acc acc;
  acc_zero(&acc);
  int64_t c = 0;
  for (; c + 32 <= n; c += 32) {
    acc.a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), acc.a0);
    acc.a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 8), _mm256_loadu_ps(x + c + 8), acc.a1);
    acc.a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 16), _mm256_loadu_ps(x + c + 16), acc.a2);
    acc.a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 24), _mm256_loadu_ps(x + c + 24), acc.a3);
  }
  for (; c + 8 <= n; c += 8) acc.a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), acc.a0);
  for (; c < n; ++c) acc.tail += w[c] * x[c];
  return acc_sum(acc);
}

/// bf16 (f16 = false) or f16 (f16 = true) rows.
HFB_SIMD inline __m256 half8(const uint16_t* p, bool f16) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  if (f16) return _mm256_cvtph_ps(h);
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

HFB_SIMD float row_half(const uint16_t* w, const float* x, int64_t n, bool f16) {
  Acc acc;
  acc_zero(&acc);
  int64_t c = 0;
  for (; c + 32 <= n; c += 32) {
    acc.a0 = _mm256_fmadd_ps(half8(w + c, f16), _mm256_loadu_ps(x + c), acc.a0);
    acc.a1 = _mm256_fmadd_ps(half8(w + c + 8, f16), _mm256_loadu_ps(x + c + 8), acc.a1);
    acc.a2 = _mm256_fmadd_ps(half8(w + c + 16, f16), _mm256_loadu_ps(x + c + 16), acc.a2);
    acc.a3 = _mm256_fmadd_ps(half8(w + c + 24, f16), _mm256_loadu_ps(x + c + 24), acc.a3);
  }
  for (; c + 8 <= n; c += 8) acc.a0 = _mm256_fmadd_ps(half8(w + c, f16), _mm256_loadu_ps(x + c), acc.a0);
  for (; c < n; ++c) {
    const uint32_t bits = static_cast<uint32_t>(w[c]) << 16;
    float v = 0.0f;
    if (f16) {
      v = _cvtsh_ss(w[c]);
    } else {
      std::memcpy(&v, &bits, 4);
    }
    acc.tail += v * x[c];
  }
  return acc_sum(acc);
}

HFB_SIMD float row_q4_0(const uint8_t* p, const float* x, int64_t n) {
  Acc acc;
  acc_zero(&acc);
  const __m128i low_mask = _mm_set1_epi8(0x0F);
  const __m128i eight = _mm_set1_epi8(8);
  for (int64_t c = 0; c < n; c += 32, p += 18) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(h));
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2));
    const __m128i lo = _mm_sub_epi8(_mm_and_si128(q, low_mask), eight);
    const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), low_mask), eight);
    fma32_i8(&acc, lo, hi, d, x + c);
  }
  return acc_sum(acc);
}

HFB_SIMD float row_q8_0(const uint8_t* p, const float* x, int64_t n) {
  Acc acc;
  acc_zero(&acc);
  for (int64_t c = 0; c < n; c += 32, p += 34) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(h));
    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2));
    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 18));
    fma32_i8(&acc, lo, hi, d, x + c);
  }
  return acc_sum(acc);
}

/// 16 int4 codes from 8 bytes (low nibble first) as signed bytes in column order.
HFB_SIMD inline __m128i int4_16(const uint8_t* p) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  const __m128i mask = _mm_set1_epi8(0x0F);
  const __m128i lo = _mm_and_si128(b, mask);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), mask);
  return _mm_sub_epi8(_mm_unpacklo_epi8(lo, hi), _mm_set1_epi8(8));
}

/// Columns [c0, c1) of an int8/int4 row, all with scale s.
HFB_SIMD void absmax_segment(Acc* acc, const uint8_t* row, bool int4, const float* x, int64_t c0, int64_t c1, float s) {
  const __m256 d = _mm256_set1_ps(s);
  int64_t c = c0;
  if (int4 && (c & 1) && c < c1) {
    acc->tail += static_cast<float>(static_cast<int>(row[c >> 1] >> 4) - 8) * s * x[c];
    ++c;
  }
  for (; c + 32 <= c1; c += 32) {
    __m128i lo, hi;
    if (int4) {
      lo = int4_16(row + c / 2);
      hi = int4_16(row + c / 2 + 8);
    } else {
      lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + c));
      hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + c + 16));
    }
    fma32_i8(acc, lo, hi, d, x + c);
  }
  for (; c < c1; ++c) {
    const int code = int4 ? static_cast<int>((c & 1) ? (row[c >> 1] >> 4) : (row[c >> 1] & 15)) - 8
                          : static_cast<int8_t>(row[c]);
    acc->tail += static_cast<float>(code) * s * x[c];
  }
}

HFB_SIMD float row_absmax(const MatrixView& m, int64_t r, const float* x) {
  Acc acc;
  acc_zero(&acc);
  const uint8_t* row = m.codes + r * m.row_stride;
  const bool int4 = m.format == RowFormat::kInt4;
  const int64_t block = m.scale_block;
  const int64_t per_row = (m.cols + block - 1) / block;
  for (int64_t c0 = 0, b = 0; c0 < m.cols; c0 += block, ++b) {
    const float s = m.scale(m.per_tensor_scale ? 0 : r * per_row + b);
    absmax_segment(&acc, row, int4, x, c0, std::min(m.cols, c0 + block), s);
  }
  return acc_sum(acc);
}

/// 16-entry LUT as two vectors; idx in 0..15 per lane.
HFB_SIMD inline __m256 lut16(__m256 l0, __m256 l1, __m256i idx) {
  const __m256 a = _mm256_permutevar8x32_ps(l0, idx);
  const __m256 b = _mm256_permutevar8x32_ps(l1, idx);
  return _mm256_blendv_ps(a, b, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
}

HFB_SIMD float row_kmeans(const MatrixView& m, int64_t r, const float* x) {
  Acc acc;
  acc_zero(&acc);
  const bool k8 = m.format == RowFormat::kKmeans8;
  const float* lut = m.lut + (r / m.group_size) * (k8 ? 256 : 16);
  const uint8_t* p = m.codes + r * m.row_stride;
  const float s = m.row_scales ? m.scale(r) : 1.0f;
  const __m256 sv = _mm256_set1_ps(s);
  const __m256 l0 = _mm256_loadu_ps(lut);
  const __m256 l1 = _mm256_loadu_ps(lut + 8);
  int64_t c = 0;
  for (; c + 16 <= m.cols; c += 16) {
    __m256 w0, w1;
    if (k8) {
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + c));
      w0 = _mm256_i32gather_ps(lut, _mm256_cvtepu8_epi32(b), 4);
      w1 = _mm256_i32gather_ps(lut, _mm256_cvtepu8_epi32(_mm_srli_si128(b, 8)), 4);
    } else {
      const __m128i q = _mm_add_epi8(int4_16(p + c / 2), _mm_set1_epi8(8));
      w0 = lut16(l0, l1, _mm256_cvtepu8_epi32(q));
      w1 = lut16(l0, l1, _mm256_cvtepu8_epi32(_mm_srli_si128(q, 8)));
    }
    if (m.row_scales) {
      w0 = _mm256_mul_ps(w0, sv);
      w1 = _mm256_mul_ps(w1, sv);
    }
    acc.a0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + c), acc.a0);
    acc.a1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + c + 8), acc.a1);
  }
  for (; c < m.cols; ++c) {
    float w = lut[k8 ? p[c] : ((c & 1) ? (p[c >> 1] >> 4) : (p[c >> 1] & 15))];
    if (m.row_scales) w *= s;
    acc.tail += w * x[c];
  }
  return acc_sum(acc);
}

HFB_SIMD float dot_row(const MatrixView& m, int64_t r, const float* x) {
  const uint8_t* row = m.codes + r * m.row_stride;
  switch (m.format) {
    case RowFormat::kF32: return row_f32(reinterpret_cast<const float*>(row), x, m.cols);
    case RowFormat::kBF16: return row_half(reinterpret_cast<const uint16_t*>(row), x, m.cols, false);
    case RowFormat::kF16: return row_half(reinterpret_cast<const uint16_t*>(row), x, m.cols, true);
    case RowFormat::kQ4_0: return row_q4_0(row, x, m.cols);
    case RowFormat::kQ8_0: return row_q8_0(row, x, m.cols);
    case RowFormat::kInt8:
    case RowFormat::kInt4: return row_absmax(m, r, x);
    case RowFormat::kKmeans4:
    case RowFormat::kKmeans8: return row_kmeans(m, r, x);
  }
  return 0.0f;
}

}  // namespace

bool cpu_has_avx2_fma() {
  // F16C from CPUID leaf 1 (ECX bit 29): clang 14's __builtin_cpu_supports does not know "f16c".
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 29)) != 0;
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
}

bool dot_rows_avx2(const MatrixView& m, const float* x, int64_t begin, int64_t end, float* y) {
  for (int64_t r = begin; r < end; ++r) y[r - begin] = dot_row(m, r, x);
  return true;
}

namespace {

/// 16 signed bytes times d into out[0..16): float(q) * d, as the scalar decoder computes it (exact).
HFB_SIMD inline void store16_i8(__m128i q, __m256 d, float* out) {
  _mm256_storeu_ps(out, _mm256_mul_ps(bytes_to_ps(q), d));
  _mm256_storeu_ps(out + 8, _mm256_mul_ps(bytes_to_ps(_mm_srli_si128(q, 8)), d));
}

HFB_SIMD void decode_ggml_row(const uint8_t* p, int64_t cols, bool q4, float* out) {
  const __m128i low_mask = _mm_set1_epi8(0x0F);
  const __m128i eight = _mm_set1_epi8(8);
  for (int64_t c = 0; c < cols; c += 32, out += 32) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(h));
    if (q4) {
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2));
      store16_i8(_mm_sub_epi8(_mm_and_si128(q, low_mask), eight), d, out);
      store16_i8(_mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), low_mask), eight), d, out + 16);
      p += 18;
    } else {
      store16_i8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2)), d, out);
      store16_i8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 18)), d, out + 16);
      p += 34;
    }
  }
}

HFB_SIMD void decode_bf16_row(const uint16_t* w, int64_t cols, float* out) {
  int64_t c = 0;
  for (; c + 8 <= cols; c += 8) _mm256_storeu_ps(out + c, half8(w + c, false));
  for (; c < cols; ++c) {
    const uint32_t bits = static_cast<uint32_t>(w[c]) << 16;
    std::memcpy(out + c, &bits, 4);
  }
}

}  // namespace

bool decode_rows_avx2(const MatrixView& m, int64_t begin, int64_t end, float* out) {
  const bool ggml = m.format == RowFormat::kQ4_0 || m.format == RowFormat::kQ8_0;
  if (!ggml && m.format != RowFormat::kBF16) return false;
  for (int64_t r = begin; r < end; ++r, out += m.cols) {
    const uint8_t* row = m.codes + r * m.row_stride;
    if (ggml) {
      decode_ggml_row(row, m.cols, m.format == RowFormat::kQ4_0, out);
    } else {
      decode_bf16_row(reinterpret_cast<const uint16_t*>(row), m.cols, out);
    }
  }
  return true;
}

}  // namespace matrix_internal
}  // namespace hfb

#else

namespace hfb {
namespace matrix_internal {
bool cpu_has_avx2_fma() { return false; }
bool dot_rows_avx2(const MatrixView&, const float*, int64_t, int64_t, float*) { return false; }
bool decode_rows_avx2(const MatrixView&, int64_t, int64_t, float*) { return false; }
}  // namespace matrix_internal
}  // namespace hfb

#endif
