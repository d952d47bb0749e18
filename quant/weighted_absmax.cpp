// int8 / int4 with calibration weights: per row or block, the scale that minimises the column-weighted squared
// error among the absmax scale and ggml make_qx_quants' candidates (codes at iscale (qmax + 0.1 k) / amax,
// k = -9..9, each with its weighted least-squares scale), every candidate measured with its stored scale.
#include "quant/absmax.h"

namespace hfb {
namespace quant_internal {
namespace {

constexpr int kSearchSteps = 9;  // ggml make_qx_quants: is = -9 .. 9, iscale = -(nmax + 0.1 is) / max

struct BlockChoice {
  float scale = 0;       ///< stored (rounded) scale
  double error = -1;     ///< sum w (x - scale q)^2; < 0: none yet
};

double weighted_error(const float* x, const float* w, const int8_t* q, int64_t n, float scale) {
  double e = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - static_cast<double>(scale) * q[i];
    e += static_cast<double>(w[i]) * d * d;
  }
  return e;
}

/// Keeps candidate (codes `q`, stored scale) in `best`/`best_q` when its weighted error is lower.
void consider(const float* x, const float* w, const int8_t* q, int64_t n, float scale, BlockChoice* best,
              int8_t* best_q) {
  if (!std::isfinite(scale)) return;
  const double e = weighted_error(x, w, q, n, scale);
  if (best->error >= 0 && !(e < best->error)) return;
  best->error = e;
  best->scale = scale;
  if (best_q != q) std::memcpy(best_q, q, static_cast<size_t>(n));
}

/// One block: writes codes into q and returns the stored scale (+inf: the absmax scale overflows f16).
float encode_block(const float* x, const float* w, int64_t n, int qmax, bool f32_scales, int8_t* q,
                   std::vector<int8_t>* trial) {
  float amax = 0;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  std::vector<uint8_t> one(4);
  const float absmax_scale = store_scale(one, 0, amax / static_cast<float>(qmax), f32_scales);
  if (!std::isfinite(absmax_scale)) return absmax_scale;
  // Candidate 0: the unweighted encoding itself, so the choice is never worse than it (weighted).
  absmax_codes_ref(x, n, absmax_scale != 0.0f ? 1.0f / absmax_scale : 0.0f, qmax, q);
  BlockChoice best;
  consider(x, w, q, n, absmax_scale, &best, q);
  if (amax == 0.0f) return absmax_scale;
  int8_t* t = trial->data();
  for (int k = -kSearchSteps; k <= kSearchSteps; ++k) {
    const float iscale = (static_cast<float>(qmax) + 0.1f * static_cast<float>(k)) / amax;
    double sumlx = 0, suml2 = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float l = std::min<float>(qmax, std::max<float>(-qmax, std::round(iscale * x[i])));
      t[i] = static_cast<int8_t>(l);
      sumlx += static_cast<double>(w[i]) * x[i] * l;
      suml2 += static_cast<double>(w[i]) * l * l;
    }
    if (suml2 <= 0) continue;
    const float fitted = store_scale(one, 0, static_cast<float>(sumlx / suml2), f32_scales);
    consider(x, w, t, n, fitted, &best, q);
  }
  return best.scale;
}

}  // namespace

Status encode_absmax_weighted(const SourceMatrix& src, const float* weights, bool reference, EncodedTensor* out) {
  const QuantParams& p = out->params;
  HFB_CHECK(!p.per_tensor);  // one scale for the tensor: nothing to search (calibration_applies)
  const int qmax = out->scheme == Scheme::kInt4 ? 7 : 127;
  const int64_t cols = src.cols;
  const int64_t block = p.block_size > 0 ? p.block_size : cols;
  out->codes.assign(static_cast<size_t>(src.rows * out->row_stride()), 0);
  out->scales.assign(static_cast<size_t>(src.rows * out->blocks_per_row() * out->scale_bytes()), 0);
  std::vector<RowFault> faults(static_cast<size_t>(src.rows), RowFault::kNone);
  parallel_for(src.rows, reference ? 1 : p.num_threads, [&](int64_t b, int64_t e) {
    std::vector<float> x(static_cast<size_t>(cols));
    std::vector<int8_t> q(static_cast<size_t>(cols)), trial(static_cast<size_t>(block));
    for (int64_t r = b; r < e; ++r) {
      load_row(src, r, x.data());
      for (int64_t c0 = 0; c0 < cols && faults[r] == RowFault::kNone; c0 += block) {
        const int64_t n = std::min(block, cols - c0);
        const float s = encode_block(x.data() + c0, weights + c0, n, qmax, p.f32_scales, q.data() + c0, &trial);
        if (!std::isfinite(s)) faults[r] = RowFault::kScaleOverflow;
        store_scale(out->scales, out->scale_index(r, c0), s, p.f32_scales);  // exact: s is already stored precision
      }
      if (faults[r] != RowFault::kNone) continue;
      if (out->scheme == Scheme::kInt4) {
        pack_int4_row(out, r, q.data());
      } else {
        pack_int8_row(out, r, q.data());
      }
    }
  });
  return row_fault_error(*out, faults);
}

}  // namespace quant_internal
}  // namespace hfb
