// Scheme q8_0: ggml's 34-byte blocks, bit-exact with quantize_row_q8_0_ref (roundf: half away from zero).
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "quant/ggml_blocks.h"
#include "quant/quant_internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hfb {
namespace {

using quant_internal::x86_truncate_i8;

void quantize_block_reference(const float* x, BlockQ8_0* y) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) {
    const float a = std::fabs(x[j]);
    amax = amax > a ? amax : a;  // ggml MAX(a, b): a NaN element makes amax NaN until the next one
  }
  const float d = amax / ((1 << 7) - 1);
  const float id = (d != 0.0f) ? 1.0f / d : 0.0f;
  y->d = f32_to_f16(d);
  for (int j = 0; j < 32; ++j) y->qs[j] = x86_truncate_i8(std::round(x[j] * id));
}

#if defined(__SSE2__)
// round half away from zero of v (finite, |v| < 2^31), then the low byte, as 32-bit lanes.
inline __m128i round_low_byte(__m128 v) {
  const __m128 sign = _mm_set1_ps(-0.0f);
  const __m128 a = _mm_andnot_ps(sign, v);
  __m128i t = _mm_cvttps_epi32(a);
  const __m128 frac = _mm_sub_ps(a, _mm_cvtepi32_ps(t));
  t = _mm_sub_epi32(t, _mm_castps_si128(_mm_cmpge_ps(frac, _mm_set1_ps(0.5f))));
  const __m128i s = _mm_srai_epi32(_mm_castps_si128(v), 31);
  t = _mm_sub_epi32(_mm_xor_si128(t, s), s);
  return _mm_and_si128(t, _mm_set1_epi32(0xFF));
}

void quantize_block_fast(const float* x, BlockQ8_0* y) {
  const __m128 sign = _mm_set1_ps(-0.0f);
  __m128 m = _mm_setzero_ps();
  __m128 unordered = _mm_setzero_ps();
  for (int k = 0; k < 8; ++k) {
    const __m128 v = _mm_loadu_ps(x + 4 * k);
    m = _mm_max_ps(_mm_andnot_ps(sign, v), m);
    unordered = _mm_or_ps(unordered, _mm_cmpunord_ps(v, v));
  }
  m = _mm_max_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(1, 0, 3, 2)));
  m = _mm_max_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(2, 3, 0, 1)));
  const float amax = _mm_cvtss_f32(m);
  const float d = amax / ((1 << 7) - 1);
  const float id = (d != 0.0f) ? 1.0f / d : 0.0f;
  if (_mm_movemask_ps(unordered) != 0 || !std::isfinite(amax) || !std::isfinite(id)) {
    quantize_block_reference(x, y);  // NaN / inf / overflowing inverse: rare, take the oracle
    return;
  }
  y->d = f32_to_f16(d);
  const __m128 vid = _mm_set1_ps(id);
  __m128i q[8];
  for (int k = 0; k < 8; ++k) q[k] = round_low_byte(_mm_mul_ps(_mm_loadu_ps(x + 4 * k), vid));
  const __m128i w0 = _mm_packus_epi16(_mm_packs_epi32(q[0], q[1]), _mm_packs_epi32(q[2], q[3]));
  const __m128i w1 = _mm_packus_epi16(_mm_packs_epi32(q[4], q[5]), _mm_packs_epi32(q[6], q[7]));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(y->qs), w0);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(y->qs + 16), w1);
}
#else
void quantize_block_fast(const float* x, BlockQ8_0* y) { quantize_block_reference(x, y); }
#endif

}  // namespace

void quantize_row_q8_0_reference(const float* x, BlockQ8_0* y, int64_t k) {
  HFB_CHECK(k % kGgmlBlock == 0);
  for (int64_t i = 0; i < k / kGgmlBlock; ++i) quantize_block_reference(x + i * kGgmlBlock, y + i);
}

void quantize_row_q8_0_fast(const float* x, BlockQ8_0* y, int64_t k) {
  HFB_CHECK(k % kGgmlBlock == 0);
  for (int64_t i = 0; i < k / kGgmlBlock; ++i) quantize_block_fast(x + i * kGgmlBlock, y + i);
}

void dequantize_row_q8_0(const BlockQ8_0* x, float* y, int64_t k) {
  for (int64_t i = 0; i < k / kGgmlBlock; ++i) {
    const float d = f16_to_f32(x[i].d);
    for (int j = 0; j < 32; ++j) y[i * 32 + j] = static_cast<float>(x[i].qs[j]) * d;
  }
}

namespace quant_internal {

Status encode_q8_0(const SourceMatrix& src, bool reference, EncodedTensor* out) {
  return encode_ggml_rows<BlockQ8_0>(src, reference, out, &quantize_row_q8_0_reference, &quantize_row_q8_0_fast);
}

void decode_row_q8_0(const EncodedTensor& enc, int64_t row, float* out) {
  decode_ggml_row<BlockQ8_0>(enc, row, out, &dequantize_row_q8_0);
}

}  // namespace quant_internal
}  // namespace hfb
