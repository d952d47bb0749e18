// Scheme q4_0: ggml's 18-byte blocks, bit-exact with quantize_row_q4_0_ref as ggml builds it on x86-64.
// Compiled with -ffp-contract=off (quant/CMakeLists.txt): x*id + 8.5f must round twice, never fuse.
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "quant/ggml_blocks.h"
#include "quant/q4_0_sse2.h"
#include "quant/quant_internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hfb {
namespace {

using quant_internal::x86_truncate_i8;

void quantize_block_reference(const float* x, BlockQ4_0* y) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < 32; ++j) {
    const float v = x[j];
    if (amax < std::fabs(v)) {  // strict <: the first element with the largest |v| wins
      amax = std::fabs(v);
      max = v;
    }
  }
  const float d = max / -8;
  const float id = (d != 0.0f) ? 1.0f / d : 0.0f;  // C's `d ?` is true for NaN
  y->d = f32_to_f16(d);
  for (int j = 0; j < 16; ++j) {
    const float x0 = x[j] * id;
    const float x1 = x[16 + j] * id;
    const int8_t t0 = x86_truncate_i8(x0 + 8.5f);
    const int8_t t1 = x86_truncate_i8(x1 + 8.5f);
    const uint8_t xi0 = static_cast<uint8_t>(15 < t0 ? 15 : t0);
    const uint8_t xi1 = static_cast<uint8_t>(15 < t1 ? 15 : t1);
    y->qs[j] = static_cast<uint8_t>(xi0 | (xi1 << 4));
  }
}

#if defined(__SSE2__)
using quant_internal::q4_0_codes4;

void quantize_block_fast(const float* x, BlockQ4_0* y) {
  __m128 v[8];
  for (int k = 0; k < 8; ++k) v[k] = _mm_loadu_ps(x + 4 * k);
  const int first = quant_internal::q4_0_first_absmax(v);
  const float max = first < 0 ? 0.0f : x[first];
  const float d = max / -8;
  const float id = (d != 0.0f) ? 1.0f / d : 0.0f;
  y->d = f32_to_f16(d);
  const __m128 vid = _mm_set1_ps(id);
  __m128i lo[4], hi[4];
  for (int k = 0; k < 4; ++k) {
    lo[k] = q4_0_codes4(_mm_loadu_ps(x + 4 * k), vid);
    hi[k] = _mm_and_si128(_mm_slli_epi32(q4_0_codes4(_mm_loadu_ps(x + 16 + 4 * k), vid), 4), _mm_set1_epi32(0xFF));
    lo[k] = _mm_or_si128(lo[k], hi[k]);
  }
  const __m128i w = _mm_packus_epi16(_mm_packs_epi32(lo[0], lo[1]), _mm_packs_epi32(lo[2], lo[3]));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(y->qs), w);
}
#else
void quantize_block_fast(const float* x, BlockQ4_0* y) { quantize_block_reference(x, y); }
#endif

}  // namespace

void quantize_row_q4_0_reference(const float* x, BlockQ4_0* y, int64_t k) {
  HFB_CHECK(k % kGgmlBlock == 0);
  for (int64_t i = 0; i < k / kGgmlBlock; ++i) quantize_block_reference(x + i * kGgmlBlock, y + i);
}

void quantize_row_q4_0_fast(const float* x, BlockQ4_0* y, int64_t k) {
  HFB_CHECK(k % kGgmlBlock == 0);
  for (int64_t i = 0; i < k / kGgmlBlock; ++i) quantize_block_fast(x + i * kGgmlBlock, y + i);
}

void dequantize_row_q4_0(const BlockQ4_0* x, float* y, int64_t k) {
  for (int64_t i = 0; i < k / kGgmlBlock; ++i) {
    const float d = f16_to_f32(x[i].d);
    for (int j = 0; j < 16; ++j) {
      y[i * 32 + j] = static_cast<float>((x[i].qs[j] & 15) - 8) * d;
      y[i * 32 + j + 16] = static_cast<float>((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

namespace quant_internal {

Status encode_q4_0(const SourceMatrix& src, bool reference, EncodedTensor* out) {
  return encode_ggml_rows<BlockQ4_0>(src, reference, out, &quantize_row_q4_0_reference, &quantize_row_q4_0_fast);
}

void decode_row_q4_0(const EncodedTensor& enc, int64_t row, float* out) {
  decode_ggml_row<BlockQ4_0>(enc, row, out, &dequantize_row_q4_0);
}

}  // namespace quant_internal
}  // namespace hfb
