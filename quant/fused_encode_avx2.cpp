// AVX2 row kernels of the fused encoder (8 lanes = one vector), picked at run time; bit-identical to SSE2.
// Compiled with -ffp-contract=off like fused_encode.cpp; target("avx2") adds no FMA.
#include "quant/fused_rows.h"

#include <cstring>

#include "core/dtype.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HFB_AVX2 __attribute__((target("avx2")))

namespace hfb {
namespace fused_internal {
namespace {

/// The 8 lanes of a row as one vector each.
struct Acc8 {
  __m256 sse, sig, err, mag;
};

HFB_AVX2 inline void acc_zero(Acc8* a) { a->sse = a->sig = a->err = a->mag = _mm256_setzero_ps(); }

HFB_AVX2 inline void acc_add(Acc8* a, __m256 v, __m256 y) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  const __m256 e = _mm256_sub_ps(v, y);
  a->sse = _mm256_add_ps(a->sse, _mm256_mul_ps(e, e));
  a->sig = _mm256_add_ps(a->sig, _mm256_mul_ps(v, v));
  a->err = _mm256_max_ps(a->err, _mm256_and_ps(e, abs_mask));
  a->mag = _mm256_max_ps(a->mag, _mm256_and_ps(v, abs_mask));
}

HFB_AVX2 inline void acc_store(const Acc8& a, RowLanes* lanes) {
  _mm256_storeu_ps(lanes->sse, a.sse);
  _mm256_storeu_ps(lanes->signal, a.sig);
  _mm256_storeu_ps(lanes->max_err, a.err);
  _mm256_storeu_ps(lanes->max_abs, a.mag);
}

/// 8 bf16 at p as floats (exact).
HFB_AVX2 inline __m256 load_bf16x8(const uint16_t* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(v), 16));
}

/// (int8)(x * id + 8.5f) clamped above by 15, low byte: q4_0.cpp's codes4.
HFB_AVX2 inline __m256i q4_codes(__m256 x, __m256 id) {
  const __m256 v = _mm256_add_ps(_mm256_mul_ps(x, id), _mm256_set1_ps(8.5f));
  __m256i t = _mm256_cvttps_epi32(v);
  t = _mm256_srai_epi32(_mm256_slli_epi32(t, 24), 24);
  t = _mm256_min_epi32(t, _mm256_set1_epi32(15));
  return _mm256_and_si256(t, _mm256_set1_epi32(0xFF));
}

HFB_AVX2 inline float q4_block_d(const __m256 x[4], const uint16_t* p) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 a[4];
  __m256 m = _mm256_setzero_ps();
  for (int k = 0; k < 4; ++k) {
    a[k] = _mm256_andnot_ps(sign, x[k]);
    m = _mm256_max_ps(a[k], m);  // a NaN lane in a[k] yields m: NaN never wins
  }
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_shuffle_ps(h, h, _MM_SHUFFLE(1, 0, 3, 2)));
  h = _mm_max_ps(h, _mm_shuffle_ps(h, h, _MM_SHUFFLE(2, 3, 0, 1)));
  const float amax = _mm_cvtss_f32(h);
  float max = 0.0f;
  if (amax > 0.0f) {
    const __m256 am = _mm256_set1_ps(amax);
    uint32_t mask = 0;
    for (int k = 0; k < 4; ++k) {
      mask |= static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(a[k], am, _CMP_EQ_OQ))) << (8 * k);
    }
    max = bf16_to_f32(p[__builtin_ctz(mask)]);
  }
  return max / -8;
}

/// Four int32 lanes 0-3 and 4-7 of w as 8 int16, then 16 bytes from two such.
HFB_AVX2 inline __m128i pack_bytes(__m256i w0, __m256i w1) {
  const __m128i a = _mm_packs_epi32(_mm256_castsi256_si128(w0), _mm256_extracti128_si256(w0, 1));
  const __m128i b = _mm_packs_epi32(_mm256_castsi256_si128(w1), _mm256_extracti128_si256(w1, 1));
  return _mm_packus_epi16(a, b);
}

/// int8 codes of 8 values: absmax.h's absmax_codes_fast (|v| clamped to 127 first: the same integer).
HFB_AVX2 inline __m256i int8_codes(__m256 x, __m256 inv) {
  const __m256 v = _mm256_mul_ps(x, inv);
  const __m256 a = _mm256_min_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), v), _mm256_set1_ps(127.0f));
  const __m256i t = _mm256_cvttps_epi32(a);
  const __m256 frac = _mm256_sub_ps(a, _mm256_cvtepi32_ps(t));
  const __m256i up = _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ));
  const __m256i r = _mm256_sub_epi32(t, up);
  const __m256i neg = _mm256_castps_si256(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_sub_epi32(_mm256_xor_si256(r, neg), neg);
}

}  // namespace

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

HFB_AVX2 uint16_t bf16_absmax_bits_avx2(const uint16_t* p, int64_t n) {
  const __m256i mag = _mm256_set1_epi16(0x7FFF);
  __m256i m = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    m = _mm256_max_epi16(m, _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)), mag));
  }
  __m128i h = _mm_max_epi16(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
  h = _mm_max_epi16(h, _mm_shuffle_epi32(h, _MM_SHUFFLE(1, 0, 3, 2)));
  h = _mm_max_epi16(h, _mm_shuffle_epi32(h, _MM_SHUFFLE(2, 3, 0, 1)));
  h = _mm_max_epi16(h, _mm_srli_epi32(h, 16));
  uint16_t best = static_cast<uint16_t>(_mm_cvtsi128_si32(h) & 0x7FFF);
  for (; i < n; ++i) best = std::max<uint16_t>(best, p[i] & 0x7FFF);
  return best;
}

HFB_AVX2 int64_t int8_body_avx2(const uint16_t* p, int64_t n, float inv, float s, int8_t* q, RowLanes* lanes) {
  const __m256 vinv = _mm256_set1_ps(inv), vs = _mm256_set1_ps(s);
  Acc8 acc;
  acc_zero(&acc);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = load_bf16x8(p + i);
    const __m256i c = int8_codes(x, vinv);
    const __m128i c16 = _mm_packs_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(q + i), _mm_packs_epi16(c16, c16));
    acc_add(&acc, x, _mm256_mul_ps(_mm256_cvtepi32_ps(c), vs));
  }
  acc_store(acc, lanes);
  return i;
}

HFB_AVX2 void q4_0_row_avx2(const uint16_t* src, int64_t cols, uint8_t* out, RowLanes* lanes) {
  Acc8 acc;
  acc_zero(&acc);
  const __m256i k8 = _mm256_set1_epi32(8), k15 = _mm256_set1_epi32(15), kff = _mm256_set1_epi32(0xFF);
  for (int64_t b = 0; b < cols / 32; ++b) {
    const uint16_t* p = src + b * 32;
    __m256 x[4];  // x[k]: elements 8k .. 8k + 7
    for (int k = 0; k < 4; ++k) x[k] = load_bf16x8(p + 8 * k);
    const float d = q4_block_d(x, p);
    const float id = (d != 0.0f) ? 1.0f / d : 0.0f;
    const uint16_t dh = f32_to_f16(d);
    uint8_t* blk = out + b * 18;
    std::memcpy(blk, &dh, 2);
    const __m256 vid = _mm256_set1_ps(id);
    __m256i w[2];  // w[k]: byte j = code(j) | code(j + 16) << 4 for j in 8k .. 8k + 7
    for (int k = 0; k < 2; ++k) {
      const __m256i hi = _mm256_and_si256(_mm256_slli_epi32(q4_codes(x[2 + k], vid), 4), kff);
      w[k] = _mm256_or_si256(q4_codes(x[k], vid), hi);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(blk + 2), pack_bytes(w[0], w[1]));
    const __m256 dd = _mm256_set1_ps(f16_to_f32(dh));  // decoded as dequantize_row_q4_0
    for (int k = 0; k < 2; ++k) {
      acc_add(&acc, x[k], _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_and_si256(w[k], k15), k8)), dd));
    }
    for (int k = 0; k < 2; ++k) {
      acc_add(&acc, x[2 + k], _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(w[k], 4), k8)), dd));
    }
  }
  acc_store(acc, lanes);
}

}  // namespace fused_internal
}  // namespace hfb

#else  // no AVX2 build: the dispatcher never calls the kernels

namespace hfb {
namespace fused_internal {
bool cpu_has_avx2() { return false; }
uint16_t bf16_absmax_bits_avx2(const uint16_t*, int64_t) { return 0; }
int64_t int8_body_avx2(const uint16_t*, int64_t, float, float, int8_t*, RowLanes*) { return 0; }
void q4_0_row_avx2(const uint16_t*, int64_t, uint8_t*, RowLanes*) {}
}  // namespace fused_internal
}  // namespace hfb

#endif
