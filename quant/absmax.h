// Shared core of the absmax symmetric schemes (int8, int4): scales, codes, threading, errors.
#pragma once

#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "quant/quant_internal.h"

namespace hfb {
namespace quant_internal {

/// max |x| and whether every x is finite; 8 independent lanes so the loop vectorises.
inline bool absmax_finite_fast(const float* x, int64_t n, float* amax) {
  float m[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  float poison[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // x * 0 is NaN exactly for inf/NaN x
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) {
      const float a = std::fabs(x[i + k]);
      m[k] = a > m[k] ? a : m[k];
      poison[k] += x[i + k] * 0.0f;
    }
  }
  for (int k = 0; i < n; ++i, ++k) {
    const float a = std::fabs(x[i]);
    m[k] = a > m[k] ? a : m[k];
    poison[k] += x[i] * 0.0f;
  }
  float r = 0, p = 0;
  for (int k = 0; k < 8; ++k) {
    r = m[k] > r ? m[k] : r;
    p += poison[k];
  }
  *amax = r;
  return p == 0.0f;
}

/// The scalar oracle of absmax_finite_fast.
inline bool absmax_finite_ref(const float* x, int64_t n, float* amax) {
  float r = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return false;
    r = std::max(r, std::fabs(x[i]));
  }
  *amax = r;
  return true;
}

/// Codes q = clamp(round_half_away(x * inv), -qmax, qmax) into q[0..n).
inline void absmax_codes_fast(const float* x, int64_t n, float inv, int qmax, int8_t* q) {
  const float lim = static_cast<float>(qmax);
  for (int64_t i = 0; i < n; ++i) {
    float v = round_half_away(x[i] * inv);
    v = v > lim ? lim : v;
    v = v < -lim ? -lim : v;
    q[i] = static_cast<int8_t>(static_cast<int32_t>(v));
  }
}

inline void absmax_codes_ref(const float* x, int64_t n, float inv, int qmax, int8_t* q) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = std::round(x[i] * inv);
    q[i] = static_cast<int8_t>(std::min<float>(qmax, std::max<float>(-qmax, v)));
  }
}

enum class RowFault : uint8_t { kNone, kNonFinite, kScaleOverflow };

inline Status row_fault_error(const EncodedTensor& out, const std::vector<RowFault>& faults) {
  for (size_t r = 0; r < faults.size(); ++r) {
    if (faults[r] == RowFault::kNone) continue;
    const std::string where = " in row " + std::to_string(r) + " of [" + std::to_string(out.rows) + ", " +
                              std::to_string(out.cols) + "]";
    if (faults[r] == RowFault::kNonFinite) {
      return Error(ErrorCode::kInvalidArgument,
                   std::string(scheme_name(out.scheme)) + ": non-finite weight (inf or NaN)" + where)
          .with_tensor(out.name);
    }
    return Error(ErrorCode::kInvalidArgument, std::string(scheme_name(out.scheme)) +
                                                  ": scale exceeds the f16 range" + where +
                                                  "; use f32 scales")
        .with_tensor(out.name);
  }
  return ok_status();
}

/// Encodes int8/int4 (kQmax 127/7). PackRow(row, const int8_t* q) writes one row of codes.
template <typename PackRow>
Status encode_absmax(const SourceMatrix& src, bool reference, int qmax, EncodedTensor* out, PackRow pack_row) {
  const QuantParams& p = out->params;
  const int64_t cols = src.cols;
  const int64_t block = p.block_size > 0 ? p.block_size : cols;
  const int threads = reference ? 1 : p.num_threads;
  auto amax_of = reference ? absmax_finite_ref : absmax_finite_fast;
  auto codes_of = reference ? absmax_codes_ref : absmax_codes_fast;
  std::vector<RowFault> faults(static_cast<size_t>(src.rows), RowFault::kNone);
  out->scales.assign(static_cast<size_t>((p.per_tensor ? 1 : src.rows * out->blocks_per_row()) *
                                         out->scale_bytes()), 0);
  float tensor_scale = 0;
  if (p.per_tensor) {
    std::vector<float> row_amax(static_cast<size_t>(src.rows), 0.0f);
    parallel_for(src.rows, threads, [&](int64_t b, int64_t e) {
      std::vector<float> x(static_cast<size_t>(cols));
      for (int64_t r = b; r < e; ++r) {
        load_row(src, r, x.data());
        if (!amax_of(x.data(), cols, &row_amax[r])) faults[r] = RowFault::kNonFinite;
      }
    });
    HFB_TRY(row_fault_error(*out, faults));
    float amax = 0;
    for (float a : row_amax) amax = std::max(amax, a);
    tensor_scale = store_scale(out->scales, 0, amax / static_cast<float>(qmax), p.f32_scales);
    if (!std::isfinite(tensor_scale)) faults[0] = RowFault::kScaleOverflow;
    HFB_TRY(row_fault_error(*out, faults));
  }
  parallel_for(src.rows, threads, [&](int64_t b, int64_t e) {
    std::vector<float> x(static_cast<size_t>(cols));
    std::vector<int8_t> q(static_cast<size_t>(cols));
    for (int64_t r = b; r < e; ++r) {
      load_row(src, r, x.data());
      for (int64_t c0 = 0; c0 < cols; c0 += block) {
        const int64_t n = std::min(block, cols - c0);
        float scale = tensor_scale;
        if (!p.per_tensor) {
          float amax = 0;
          if (!amax_of(x.data() + c0, n, &amax)) { faults[r] = RowFault::kNonFinite; break; }
          scale = store_scale(out->scales, out->scale_index(r, c0), amax / static_cast<float>(qmax), p.f32_scales);
          if (!std::isfinite(scale)) { faults[r] = RowFault::kScaleOverflow; break; }
        }
        codes_of(x.data() + c0, n, scale != 0.0f ? 1.0f / scale : 0.0f, qmax, q.data() + c0);
      }
      if (faults[r] == RowFault::kNone) pack_row(r, q.data());
    }
  });
  return row_fault_error(*out, faults);
}

/// Decodes row `row` given its signed codes via code_at(col).
template <typename CodeAt>
void decode_absmax_row(const EncodedTensor& enc, int64_t row, float* out, CodeAt code_at) {
  const int64_t cols = enc.cols;
  const int64_t block = enc.params.block_size > 0 && !enc.params.per_tensor ? enc.params.block_size : cols;
  for (int64_t c0 = 0; c0 < cols; c0 += block) {
    const float s = enc.scale_at(enc.scale_index(row, c0));
    const int64_t end = std::min(cols, c0 + block);
    for (int64_t c = c0; c < end; ++c) out[c] = static_cast<float>(code_at(c)) * s;
  }
}

}  // namespace quant_internal
}  // namespace hfb
