// Internal: the SSE2 q4_0 code step shared by the block quantizer (q4_0.cpp) and the fused row encoder
// (fused_encode.cpp), so both make ggml's codes with the very same instructions.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>

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

}  // namespace quant_internal
}  // namespace hfb
#endif  // __SSE2__
