// Internal: the SSE2 q4_0 block-max search and code step shared by the block quantizer (q4_0.cpp) and the fused row encoder
// (fused_encode.cpp), so both make ggml's codes with the very same instructions.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>

#include <cstdint>

namespace hfb {
namespace quant_internal {

/// q4_0 codes of four values: (int8)(x * id + 8.5f) clamped above by 15 (ggml's MIN(15, .)), low byte.
/// cvttps2dq is x86's conversion (INT32_MIN for NaN / out of range), so every input matches the reference;
/// the low byte is sign-extended as ggml's (int8_t) cast does.
inline __m128i q4_0_codes4(__m128 x, __m128 id) {
  const __m128 v = _mm_add_ps(_mm_mul_ps(x, id), _mm_set1_ps(8.5f));
  __m128i t = _mm_cvttps_epi32(v);
  t = _mm_srai_epi32(_mm_slli_epi32(t, 24), 24);
  const __m128i k15 = _mm_set1_epi32(15);
  const __m128i gt = _mm_cmpgt_epi32(t, k15);
  t = _mm_or_si128(_mm_and_si128(gt, k15), _mm_andnot_si128(gt, t));
  return _mm_and_si128(t, _mm_set1_epi32(0xFF));
}

/// Index (0..31) of the first largest |x| of a q4_0 block held as x[k] = elements 4k .. 4k + 3, or -1 when
/// every |x| is 0 (ggml's max: a NaN never wins, so an all-NaN block is -1 too).
inline int q4_0_first_absmax(const __m128 x[8]) {
  const __m128 sign = _mm_set1_ps(-0.0f);
  __m128 a[8];
  __m128 m = _mm_setzero_ps();
  for (int k = 0; k < 8; ++k) {
    a[k] = _mm_andnot_ps(sign, x[k]);
    m = _mm_max_ps(a[k], m);  // a NaN lane in a[k] yields m: NaN never wins, as in the reference
  }
  m = _mm_max_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(1, 0, 3, 2)));
  m = _mm_max_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(2, 3, 0, 1)));
  const float amax = _mm_cvtss_f32(m);
  if (!(amax > 0.0f)) return -1;
  const __m128 am = _mm_set1_ps(amax);
  uint32_t mask = 0;
  for (int k = 0; k < 8; ++k) mask |= static_cast<uint32_t>(_mm_movemask_ps(_mm_cmpeq_ps(a[k], am))) << (4 * k);
  return __builtin_ctz(mask);
}

}  // namespace quant_internal
}  // namespace hfb
#endif  // __SSE2__
