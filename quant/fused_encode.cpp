// quantize_with_row_metrics: bf16 rows widened, encoded (q4_0 / int8 per row), decoded and measured in one pass.
// Compiled with -ffp-contract=off (quant/CMakeLists.txt): every product must round before its sum, as in
// the q4_0 reference and in the separate decode + error passes this replaces.
#include "quant/fused_encode.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "quant/fused_rows.h"
#include "quant/ggml_blocks.h"
#include "quant/q4_0_sse2.h"
#include "quant/quant_internal.h"
#include "quant/weighted_quantize.h"

namespace hfb {
namespace {

using quant_internal::parallel_for;

using fused_internal::kLanes;
using fused_internal::lane_add;
using fused_internal::RowLanes;

QuantMetrics lanes_total(const RowLanes& lanes, int64_t n) {
  QuantMetrics m;
  m.num_weights = n;
  for (int l = 0; l < kLanes; ++l) {
    m.sse += lanes.sse[l];
    m.signal += lanes.signal[l];
    m.max_abs_error = std::max<double>(m.max_abs_error, lanes.max_err[l]);
    m.max_abs_value = std::max<double>(m.max_abs_value, lanes.max_abs[l]);
  }
  return m;
}

#if defined(__SSE2__)
using quant_internal::q4_0_codes4;

/// The 8 lanes as two SSE vectors (h = 0: lanes 0-3, h = 1: lanes 4-7).
struct LaneAcc {
  __m128 sse[2], sig[2], err[2], mag[2];
  LaneAcc() {
    for (int h = 0; h < 2; ++h) sse[h] = sig[h] = err[h] = mag[h] = _mm_setzero_ps();
  }
  void add(int h, __m128 v, __m128 y) {
    const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7FFFFFFF));
    const __m128 e = _mm_sub_ps(v, y);
    sse[h] = _mm_add_ps(sse[h], _mm_mul_ps(e, e));
    sig[h] = _mm_add_ps(sig[h], _mm_mul_ps(v, v));
    err[h] = _mm_max_ps(err[h], _mm_and_ps(e, abs_mask));
    mag[h] = _mm_max_ps(mag[h], _mm_and_ps(v, abs_mask));
  }
  void store(RowLanes* lanes) const {
    for (int h = 0; h < 2; ++h) {
      _mm_storeu_ps(lanes->sse + 4 * h, sse[h]);
      _mm_storeu_ps(lanes->signal + 4 * h, sig[h]);
      _mm_storeu_ps(lanes->max_err + 4 * h, err[h]);
      _mm_storeu_ps(lanes->max_abs + 4 * h, mag[h]);
    }
  }
};

/// bf16 -> f32 of the low / high four of eight bf16 values (exact: the bits shifted up by 16).
inline __m128 bf16_lo(__m128i v) { return _mm_castsi128_ps(_mm_unpacklo_epi16(_mm_setzero_si128(), v)); }
inline __m128 bf16_hi(__m128i v) { return _mm_castsi128_ps(_mm_unpackhi_epi16(_mm_setzero_si128(), v)); }

/// The signed value of the q4_0 block scale: ggml's max (first largest |x|, NaN never wins) divided by -8.
inline float q4_block_d(const __m128 x[8], const uint16_t* p) {
  const int first = quant_internal::q4_0_first_absmax(x);  // x[k] holds elements 4k .. 4k + 3 in order
  const float max = first < 0 ? 0.0f : bf16_to_f32(p[first]);
  return max / -8;
}

/// One bf16 row to q4_0 blocks at `out` (18 bytes each), each block decoded and measured into `acc`.
void q4_0_row(const uint16_t* src, int64_t cols, uint8_t* out, LaneAcc* acc) {
  for (int64_t b = 0; b < cols / 32; ++b) {
    const uint16_t* p = src + b * 32;
    __m128 x[8];
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8 * k));
      x[2 * k] = bf16_lo(v);
      x[2 * k + 1] = bf16_hi(v);
    }
    const float d = q4_block_d(x, p);
    const float id = (d != 0.0f) ? 1.0f / d : 0.0f;
    const uint16_t dh = f32_to_f16(d);
    uint8_t* blk = out + b * 18;
    std::memcpy(blk, &dh, 2);
    const __m128 vid = _mm_set1_ps(id);
    __m128i w[4];
    for (int k = 0; k < 4; ++k) {
      const __m128i hi = _mm_and_si128(_mm_slli_epi32(q4_0_codes4(x[4 + k], vid), 4), _mm_set1_epi32(0xFF));
      w[k] = _mm_or_si128(q4_0_codes4(x[k], vid), hi);
    }
    const __m128i packed = _mm_packus_epi16(_mm_packs_epi32(w[0], w[1]), _mm_packs_epi32(w[2], w[3]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(blk + 2), packed);
    // Decoded as dequantize_row_q4_0 does: ((byte & 15) - 8) * d and ((byte >> 4) - 8) * d.
    const __m128 dd = _mm_set1_ps(f16_to_f32(dh));
    const __m128i k8 = _mm_set1_epi32(8), k15 = _mm_set1_epi32(15);
    for (int k = 0; k < 4; ++k) {
      acc->add(k & 1, x[k], _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(_mm_and_si128(w[k], k15), k8)), dd));
    }
    for (int k = 0; k < 4; ++k) {
      acc->add(k & 1, x[4 + k], _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(_mm_srli_epi32(w[k], 4), k8)), dd));
    }
  }
}

/// Largest |x| of a bf16 row as bits (bf16 magnitudes order like their bit patterns); >= 0x7F80: inf/NaN.
uint16_t bf16_absmax_bits(const uint16_t* p, int64_t n) {
  const __m128i mag = _mm_set1_epi16(0x7FFF);
  __m128i m = _mm_setzero_si128();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    m = _mm_max_epi16(m, _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), mag));
  }
  m = _mm_max_epi16(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
  m = _mm_max_epi16(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
  m = _mm_max_epi16(m, _mm_srli_epi32(m, 16));
  uint16_t best = static_cast<uint16_t>(_mm_cvtsi128_si32(m) & 0x7FFF);
  for (; i < n; ++i) best = std::max<uint16_t>(best, p[i] & 0x7FFF);
  return best;
}

/// int8 codes of four values as absmax_codes_fast (absmax.h): round half away from zero of x * inv,
/// clamped to [-127, 127] (clamping |v| first gives the same integer).
inline __m128i int8_codes(__m128 x, __m128 inv) {
  const __m128 v = _mm_mul_ps(x, inv);
  const __m128 a = _mm_min_ps(_mm_andnot_ps(_mm_set1_ps(-0.0f), v), _mm_set1_ps(127.0f));
  const __m128i t = _mm_cvttps_epi32(a);
  const __m128i up = _mm_castps_si128(_mm_cmpge_ps(_mm_sub_ps(a, _mm_cvtepi32_ps(t)), _mm_set1_ps(0.5f)));
  const __m128i r = _mm_sub_epi32(t, up);  // up is -1 where the fraction is >= 0.5
  const __m128i neg = _mm_castps_si128(_mm_cmplt_ps(v, _mm_setzero_ps()));
  return _mm_sub_epi32(_mm_xor_si128(r, neg), neg);
}

/// int8 codes of whole groups of 8 elements, decoded and measured; the first element not done.
int64_t int8_body(const uint16_t* p, int64_t cols, float inv, float s, int8_t* q, RowLanes* lanes) {
  const __m128 vinv = _mm_set1_ps(inv), vs = _mm_set1_ps(s);
  LaneAcc acc;
  int64_t i = 0;
  for (; i + 8 <= cols; i += 8) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128 x0 = bf16_lo(v), x1 = bf16_hi(v);
    const __m128i c0 = int8_codes(x0, vinv), c1 = int8_codes(x1, vinv);
    const __m128i c16 = _mm_packs_epi32(c0, c1);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(q + i), _mm_packs_epi16(c16, c16));
    acc.add(0, x0, _mm_mul_ps(_mm_cvtepi32_ps(c0), vs));
    acc.add(1, x1, _mm_mul_ps(_mm_cvtepi32_ps(c1), vs));
  }
  acc.store(lanes);
  return i;
}

/// One bf16 row to int8 codes with one f16 scale (2 bytes at `scale`), decoded and measured into `lanes`.
/// False (nothing meaningful written) for non-finite input or an f16 scale overflow.
bool int8_row(const uint16_t* p, int64_t cols, int8_t* q, uint8_t* scale, RowLanes* lanes, bool avx2) {
  const uint16_t bits = avx2 ? fused_internal::bf16_absmax_bits_avx2(p, cols) : bf16_absmax_bits(p, cols);
  if (bits >= 0x7F80) return false;
  const uint16_t h = f32_to_f16(bf16_to_f32(bits) / 127.0f);
  const float s = f16_to_f32(h);
  if (!std::isfinite(s)) return false;
  scale[0] = static_cast<uint8_t>(h & 0xFF);
  scale[1] = static_cast<uint8_t>(h >> 8);
  const float inv = s != 0.0f ? 1.0f / s : 0.0f;
  int64_t i = avx2 ? fused_internal::int8_body_avx2(p, cols, inv, s, q, lanes) : int8_body(p, cols, inv, s, q, lanes);
  for (; i < cols; ++i) {
    const float x = bf16_to_f32(p[i]);
    float r = quant_internal::round_half_away(x * inv);
    r = std::min(127.0f, std::max(-127.0f, r));
    q[i] = static_cast<int8_t>(static_cast<int32_t>(r));
    lane_add(lanes, static_cast<int>(i % kLanes), x, static_cast<float>(q[i]) * s);
  }
  return true;
}

#endif  // __SSE2__

bool is_int8_per_row(Scheme scheme, const QuantParams& p) {
  return scheme == Scheme::kInt8 && !p.per_tensor && p.block_size == 0 && !p.f32_scales;
}

/// Rows [begin, end) of a fused input into `out`; rows that need quantize()'s error get faults[r] = 1.
void fused_rows(const SourceMatrix& src, EncodedTensor* out, int64_t begin, int64_t end,
                std::vector<QuantMetrics>* rows, std::vector<uint8_t>* faults, bool use_avx2) {
#if defined(__SSE2__)
  const int64_t cols = src.cols, stride = out->row_stride();
  const bool avx2 = use_avx2 && fused_internal::cpu_has_avx2();
  for (int64_t r = begin; r < end; ++r) {
    const uint16_t* p = static_cast<const uint16_t*>(src.data) + r * cols;
    uint8_t* codes = out->codes.data() + r * stride;
    RowLanes lanes;
    if (out->scheme == Scheme::kQ4_0 && avx2) {
      fused_internal::q4_0_row_avx2(p, cols, codes, &lanes);
    } else if (out->scheme == Scheme::kQ4_0) {
      LaneAcc acc;
      q4_0_row(p, cols, codes, &acc);
      acc.store(&lanes);
    } else if (!int8_row(p, cols, reinterpret_cast<int8_t*>(codes), out->scales.data() + r * 2, &lanes, avx2)) {
      (*faults)[static_cast<size_t>(r)] = 1;
      continue;
    }
    (*rows)[static_cast<size_t>(r)] = lanes_total(lanes, cols);
  }
#else
  (void)src, (void)out, (void)begin, (void)end, (void)rows, (void)faults, (void)use_avx2;
#endif
}

/// Per-row figures of an already encoded tensor (the non-fused inputs): widen, decode, measure.
void measure_rows(const SourceMatrix& src, const EncodedTensor& enc, int threads, std::vector<QuantMetrics>* rows) {
  constexpr int64_t kBatch = 16;  // rows widened and decoded at a time per thread
  parallel_for(src.rows, threads, [&](int64_t begin, int64_t end) {
    std::vector<float> x(static_cast<size_t>(kBatch * src.cols)), y(x.size());
    for (int64_t r = begin; r < end; r += kBatch) {
      const int64_t stop = std::min(end, r + kBatch);
      for (int64_t k = r; k < stop; ++k) quant_internal::load_row(src, k, x.data() + (k - r) * src.cols);
      dequantize_rows(enc, r, stop, y.data());
      for (int64_t k = r; k < stop; ++k) {
        const int64_t at = (k - r) * src.cols;
        (*rows)[static_cast<size_t>(k)] = row_error_lanes(x.data() + at, y.data() + at, src.cols);
      }
    }
  });
}

QuantMetrics sum_rows(const std::vector<QuantMetrics>& rows) {
  QuantMetrics total;
  for (const QuantMetrics& m : rows) total.add(m);  // row order: independent of the thread split
  return total;
}

/// Whether a q4_0 block's f16 `d` is Inf/NaN (a block max beyond 8 x 65504 overflows the f16 scale).
bool has_infinite_q4_0_scale(const std::vector<uint8_t>& codes) {
  for (size_t at = 0; at + sizeof(BlockQ4_0) <= codes.size(); at += sizeof(BlockQ4_0)) {
    const uint16_t d = static_cast<uint16_t>(codes[at] | (codes[at + 1] << 8));
    if ((d & 0x7C00u) == 0x7C00u) return true;
  }
  return false;
}

Result<EncodedTensor> quantize_then_measure(Scheme scheme, const SourceMatrix& src, const QuantParams& params,
                                            const std::vector<float>* column_weights = nullptr) {
  QuantParams p = params;
  p.compute_metrics = false;
  HFB_TRY(EncodedTensor enc, column_weights ? quantize_weighted(scheme, src, p, *column_weights)
                                            : quantize(scheme, src, p));
  std::vector<QuantMetrics> rows(static_cast<size_t>(src.rows));
  measure_rows(src, enc, params.num_threads, &rows);
  enc.metrics = sum_rows(rows);
  return enc;
}

}  // namespace

Result<EncodedTensor> quantize_weighted_with_row_metrics(Scheme scheme, const SourceMatrix& src,
                                                         const QuantParams& params,
                                                         const std::vector<float>& column_weights) {
  return quantize_then_measure(scheme, src, params, &column_weights);
}

QuantMetrics row_error_lanes(const float* x, const float* y, int64_t n) {
  RowLanes lanes;
  int64_t i = 0;
#if defined(__SSE2__)
  LaneAcc acc;
  for (; i + kLanes <= n; i += kLanes) {
    acc.add(0, _mm_loadu_ps(x + i), _mm_loadu_ps(y + i));
    acc.add(1, _mm_loadu_ps(x + i + 4), _mm_loadu_ps(y + i + 4));
  }
  acc.store(&lanes);
#endif
  for (; i < n; ++i) lane_add(&lanes, static_cast<int>(i % kLanes), x[i], y[i]);
  return lanes_total(lanes, n);
}

bool fused_encode_supported(Scheme scheme, const SourceMatrix& src, const QuantParams& params) {
#if defined(__SSE2__)
  if (src.dtype.id() != DTypeId::kBF16 || src.rows <= 0 || src.cols <= 0) return false;
  const QuantParams p = normalize_params(scheme, src.rows, src.cols, params);
  return (scheme == Scheme::kQ4_0 && src.cols % 32 == 0) || is_int8_per_row(scheme, p);
#else
  (void)scheme, (void)src, (void)params;
  return false;
#endif
}

Result<EncodedTensor> quantize_with_row_metrics(Scheme scheme, const SourceMatrix& src, const QuantParams& params,
                                                FusedIsa isa, std::vector<uint8_t> codes_storage) {
  if (!fused_encode_supported(scheme, src, params)) return quantize_then_measure(scheme, src, params);
  HFB_TRY(check_quantizable(scheme, src, params));
  // The fused q4_0 kernel only notices a NaN/Inf that becomes a block's max: one integer scan first, and
  // quantize() names the row and column (check_source_values). Scale overflow shows as a fault below.
  if (first_nonfinite(src.data, src.dtype, src.rows * src.cols) >= 0) {
    return quantize_then_measure(scheme, src, params);
  }
  EncodedTensor out = quant_internal::encoded_shell(scheme, src, params);
  out.codes = std::move(codes_storage);  // every byte is overwritten below
  out.codes.resize(static_cast<size_t>(src.rows * out.row_stride()));
  if (scheme == Scheme::kInt8) out.scales.resize(static_cast<size_t>(src.rows * 2));
  std::vector<QuantMetrics> rows(static_cast<size_t>(src.rows));
  std::vector<uint8_t> faults(static_cast<size_t>(src.rows), 0);
  parallel_for(src.rows, params.num_threads,
               [&](int64_t begin, int64_t end) { fused_rows(src, &out, begin, end, &rows, &faults, isa == FusedIsa::kBest); });
  if (std::find(faults.begin(), faults.end(), 1) != faults.end() ||
      (scheme == Scheme::kQ4_0 && !params.allow_nonfinite && has_infinite_q4_0_scale(out.codes))) {
    return quantize_then_measure(scheme, src, params);  // quantize() names the first bad row (and column)
  }
  out.metrics = sum_rows(rows);
  return out;
}

}  // namespace hfb
