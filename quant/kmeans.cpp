// Schemes kmeans4 / kmeans8: a LUT of 16 / 256 centroids per group of rows, the exact weighted
// 1-D k-means optimum over the group's distinct values (bf16/f16: a histogram of the bit patterns).
#include <algorithm>
#include <cmath>
#include <mutex>
#include <utility>

#include "quant/kmeans_dp.h"
#include "quant/quant_internal.h"

namespace hfb {
namespace quant_internal {
namespace {

constexpr int64_t kMaxDpCells = int64_t{1} << 25;  // k * bins: bounds the DP backtrack table (128 MiB)

/// Sorted distinct values of one group with their counts, and each distinct value's cluster.
struct Distinct {
  std::vector<float> values;
  std::vector<double> counts;
  std::vector<uint8_t> cluster;
};

bool uses_patterns(const SourceMatrix& src, const QuantParams& p) {
  return src.dtype.id() != DTypeId::kF32 && !p.per_channel_scale;
}

// The 16-bit float pattern at position `key` of the value order of sign-magnitude floats (-0 folded into +0).
inline uint16_t key_pattern(uint32_t key) {
  return static_cast<uint16_t>(key < 0x8000u ? (0x8000u | (0x7FFFu - key)) : key - 0x8000u);
}

const uint16_t* row_patterns(const SourceMatrix& src, int64_t r) {
  return static_cast<const uint16_t*>(src.data) + r * src.cols;
}

/// Values of row r as clustered: widened, divided by the row scale when per-channel scaling.
void clustered_row(const SourceMatrix& src, const EncodedTensor& out, int64_t r, float* x) {
  load_row(src, r, x);
  if (!out.params.per_channel_scale) return;
  const float s = out.scale_at(r);
  for (int64_t c = 0; c < src.cols; ++c) x[c] = x[c] / s;
}

/// Histogram of the bit patterns of rows [r0, r1), split over `threads`; ordered distinct values.
Distinct histogram_patterns(const SourceMatrix& src, int64_t r0, int64_t r1, int threads) {
  std::vector<uint64_t> counts(65536, 0);
  std::mutex merge;
  parallel_for(r1 - r0, threads, [&](int64_t b, int64_t e) {
    std::vector<uint64_t> local(65536, 0);
    for (int64_t r = r0 + b; r < r0 + e; ++r) {
      const uint16_t* p = row_patterns(src, r);
      for (int64_t c = 0; c < src.cols; ++c) ++local[p[c]];
    }
    std::lock_guard<std::mutex> lock(merge);
    for (size_t i = 0; i < local.size(); ++i) counts[i] += local[i];
  });
  counts[0] += counts[0x8000];
  counts[0x8000] = 0;
  Distinct d;
  const bool bf16 = src.dtype.id() == DTypeId::kBF16;
  for (uint32_t key = 0; key < 65536; ++key) {
    const uint16_t p = key_pattern(key);
    if (counts[p] == 0) continue;
    d.values.push_back(bf16 ? bf16_to_f32(p) : f16_to_f32(p));
    d.counts.push_back(static_cast<double>(counts[p]));
  }
  return d;
}

/// Sorted distinct values by sort + unique (the reference path, and every f32 / scaled source).
Distinct sort_unique(const SourceMatrix& src, const EncodedTensor& out, int64_t r0, int64_t r1) {
  std::vector<float> all(static_cast<size_t>((r1 - r0) * src.cols));
  for (int64_t r = r0; r < r1; ++r) clustered_row(src, out, r, all.data() + (r - r0) * src.cols);
  std::sort(all.begin(), all.end());
  Distinct d;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j] == all[i]) ++j;
    d.values.push_back(all[i] == 0.0f ? 0.0f : all[i]);  // -0 and +0 are one value
    d.counts.push_back(static_cast<double>(j - i));
    i = j;
  }
  return d;
}

/// Sorted distinct values of rows [r0, r1), each value's count replaced by its summed column weight (times the
/// squared row scale when values are divided by it: the error is measured on the decoded weights). Pairs sort
/// by (value, weight), so equal values add their weights in one order whatever the thread count.
Distinct sort_unique_weighted(const SourceMatrix& src, const EncodedTensor& out, int64_t r0, int64_t r1,
                              const float* weights) {
  std::vector<std::pair<float, double>> all(static_cast<size_t>((r1 - r0) * src.cols));
  std::vector<float> x(static_cast<size_t>(src.cols));
  for (int64_t r = r0; r < r1; ++r) {
    clustered_row(src, out, r, x.data());
    const double s = out.params.per_channel_scale ? static_cast<double>(out.scale_at(r)) : 1.0;
    for (int64_t c = 0; c < src.cols; ++c) {
      all[static_cast<size_t>((r - r0) * src.cols + c)] = {x[c] == 0.0f ? 0.0f : x[c], weights[c] * s * s};
    }
  }
  std::sort(all.begin(), all.end());
  Distinct d;
  for (size_t i = 0; i < all.size();) {
    double w = 0;
    size_t j = i;
    for (; j < all.size() && all[j].first == all[i].first; ++j) w += all[j].second;
    d.values.push_back(all[i].first);
    d.counts.push_back(w);
    i = j;
  }
  return d;
}

/// Clusters the distinct values optimally into at most K groups; writes the LUT (unused entries 0).
void cluster_distinct(Distinct* d, int64_t k, float* lut) {
  const int64_t u = static_cast<int64_t>(d->values.size());
  const int64_t max_bins = std::max<int64_t>(k + 1, kMaxDpCells / k);
  const int64_t per_bin = u > max_bins ? (u + max_bins - 1) / max_bins : 1;  // documented fine binning
  KmeansBins bins;
  for (int64_t i = 0; i < u; ++i) {
    const double x = d->values[i], w = d->counts[i];
    if (i % per_bin == 0) {
      bins.w.push_back(0);
      bins.sx.push_back(0);
      bins.sxx.push_back(0);
    }
    bins.w.back() += w;
    bins.sx.back() += w * x;
    bins.sxx.back() += w * x * x;
  }
  double sse = 0;
  std::vector<int64_t> starts = optimal_kmeans_1d(bins, static_cast<int>(k), &sse);
  std::fill(lut, lut + k, 0.0f);
  d->cluster.assign(static_cast<size_t>(u), 0);
  const int64_t nc = static_cast<int64_t>(starts.size());
  for (int64_t c = 0; c < nc; ++c) {
    const int64_t b0 = starts[c], b1 = c + 1 < nc ? starts[c + 1] : bins.size();
    double w = 0, s = 0;
    for (int64_t b = b0; b < b1; ++b) {
      w += bins.w[b];
      s += bins.sx[b];
    }
    lut[c] = static_cast<float>(s / w);
    for (int64_t i = b0 * per_bin; i < std::min(u, b1 * per_bin); ++i) d->cluster[i] = static_cast<uint8_t>(c);
  }
}

void pack_row(EncodedTensor* out, int64_t r, const uint8_t* idx) {
  uint8_t* dst = out->codes.data() + r * out->row_stride();
  if (out->scheme == Scheme::kKmeans8) {
    std::memcpy(dst, idx, static_cast<size_t>(out->cols));
    return;
  }
  const int64_t cols = out->cols;
  for (int64_t j = 0; j < cols / 2; ++j) dst[j] = static_cast<uint8_t>(idx[2 * j] | (idx[2 * j + 1] << 4));
  if (cols % 2 != 0) dst[cols / 2] = idx[cols - 1];
}

/// Codes of rows [r0, r1) by looking each value up among the sorted distinct values.
void encode_rows_search(const SourceMatrix& src, EncodedTensor* out, const Distinct& d, int64_t r0, int64_t r1,
                        int threads) {
  parallel_for(r1 - r0, threads, [&](int64_t b, int64_t e) {
    std::vector<float> x(static_cast<size_t>(src.cols));
    std::vector<uint8_t> idx(static_cast<size_t>(src.cols));
    for (int64_t r = r0 + b; r < r0 + e; ++r) {
      clustered_row(src, *out, r, x.data());
      for (int64_t c = 0; c < src.cols; ++c) {
        const auto it = std::lower_bound(d.values.begin(), d.values.end(), x[c]);
        idx[c] = d.cluster[static_cast<size_t>(it - d.values.begin())];
      }
      pack_row(out, r, idx.data());
    }
  });
}

/// Codes of rows [r0, r1) through a 65536-entry pattern -> code table.
void encode_rows_table(const SourceMatrix& src, EncodedTensor* out, const Distinct& d, int64_t r0, int64_t r1,
                       int threads) {
  std::vector<uint8_t> table(65536, 0);
  const bool bf16 = src.dtype.id() == DTypeId::kBF16;
  for (size_t i = 0; i < d.values.size(); ++i) {
    const uint16_t p = bf16 ? f32_to_bf16(d.values[i]) : f32_to_f16(d.values[i]);
    table[p] = d.cluster[i];
    if (p == 0) table[0x8000] = d.cluster[i];
  }
  parallel_for(r1 - r0, threads, [&](int64_t b, int64_t e) {
    std::vector<uint8_t> idx(static_cast<size_t>(src.cols));
    for (int64_t r = r0 + b; r < r0 + e; ++r) {
      const uint16_t* p = row_patterns(src, r);
      for (int64_t c = 0; c < src.cols; ++c) idx[c] = table[p[c]];
      pack_row(out, r, idx.data());
    }
  });
}

void encode_group(const SourceMatrix& src, EncodedTensor* out, int64_t g, bool reference, int threads,
                  const float* weights) {
  const int64_t r0 = g * out->params.group_size;
  const int64_t r1 = std::min(src.rows, r0 + out->params.group_size);
  const bool patterns = !reference && weights == nullptr && uses_patterns(src, out->params);
  Distinct d = weights != nullptr ? sort_unique_weighted(src, *out, r0, r1, weights)
               : patterns         ? histogram_patterns(src, r0, r1, threads)
                                  : sort_unique(src, *out, r0, r1);
  cluster_distinct(&d, out->lut_size(), out->lut.data() + g * out->lut_size());
  if (patterns) {
    encode_rows_table(src, out, d, r0, r1, threads);
  } else {
    encode_rows_search(src, out, d, r0, r1, threads);
  }
}

/// First row holding a non-finite value (exponent all ones), or -1. Integer tests: they vectorise.
int64_t first_non_finite_row(const SourceMatrix& src, int threads) {
  std::vector<uint8_t> bad(static_cast<size_t>(src.rows), 0);
  const DTypeId id = src.dtype.id();
  parallel_for(src.rows, threads, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      uint32_t any = 0;
      if (id == DTypeId::kF32) {
        const uint32_t* p = static_cast<const uint32_t*>(src.data) + r * src.cols;
        for (int64_t c = 0; c < src.cols; ++c) any |= (p[c] & 0x7F800000u) == 0x7F800000u;
      } else {
        const uint16_t mask = id == DTypeId::kBF16 ? 0x7F80u : 0x7C00u;
        const uint16_t* p = row_patterns(src, r);
        for (int64_t c = 0; c < src.cols; ++c) any |= (p[c] & mask) == mask;
      }
      bad[r] = any != 0;
    }
  });
  for (int64_t r = 0; r < src.rows; ++r) {
    if (bad[r]) return r;
  }
  return -1;
}

void store_row_scales(const SourceMatrix& src, EncodedTensor* out, int threads) {
  out->scales.assign(static_cast<size_t>(src.rows * out->scale_bytes()), 0);
  parallel_for(src.rows, threads, [&](int64_t b, int64_t e) {
    std::vector<float> x(static_cast<size_t>(src.cols));
    for (int64_t r = b; r < e; ++r) {
      load_row(src, r, x.data());
      float amax = 0;
      for (int64_t c = 0; c < src.cols; ++c) amax = std::max(amax, std::fabs(x[c]));
      const float s = store_scale(out->scales, r, amax, out->params.f32_scales);
      if (s == 0.0f || !std::isfinite(s)) store_scale(out->scales, r, 1.0f, out->params.f32_scales);
    }
  });
}

Status encode_kmeans_with(const SourceMatrix& src, const float* weights, bool reference, EncodedTensor* out) {
  const int threads = reference ? 1 : out->params.num_threads;
  const int64_t bad_row = first_non_finite_row(src, threads);
  if (bad_row >= 0) {
    return Error(ErrorCode::kInvalidArgument, std::string(scheme_name(out->scheme)) +
                                                  ": non-finite weight (inf or NaN) in row " +
                                                  std::to_string(bad_row))
        .with_tensor(out->name);
  }
  if (out->params.per_channel_scale) store_row_scales(src, out, threads);
  out->codes.assign(static_cast<size_t>(src.rows * out->row_stride()), 0);
  const int64_t groups = out->num_groups();
  out->lut.assign(static_cast<size_t>(groups * out->lut_size()), 0.0f);
  const int outer = static_cast<int>(std::min<int64_t>(threads, groups));
  const int inner = groups == 1 ? threads : 1;
  parallel_for(groups, outer, [&](int64_t b, int64_t e) {
    for (int64_t g = b; g < e; ++g) encode_group(src, out, g, reference, inner, weights);
  });
  return ok_status();
}

}  // namespace

Status encode_kmeans(const SourceMatrix& src, bool reference, EncodedTensor* out) {
  return encode_kmeans_with(src, nullptr, reference, out);
}

Status encode_kmeans_weighted(const SourceMatrix& src, const float* weights, bool reference, EncodedTensor* out) {
  return encode_kmeans_with(src, weights, reference, out);
}

void decode_row_kmeans(const EncodedTensor& enc, int64_t row, float* out) {
  const float* lut = enc.lut.data() + enc.group_of_row(row) * enc.lut_size();
  const uint8_t* p = enc.codes.data() + row * enc.row_stride();
  const int64_t cols = enc.cols;
  if (enc.scheme == Scheme::kKmeans8) {
    for (int64_t c = 0; c < cols; ++c) out[c] = lut[p[c]];
  } else {
    for (int64_t c = 0; c < cols; ++c) out[c] = lut[(c & 1) ? (p[c >> 1] >> 4) : (p[c >> 1] & 15)];
  }
  if (enc.params.per_channel_scale) {
    const float s = enc.scale_at(row);
    for (int64_t c = 0; c < cols; ++c) out[c] *= s;
  }
}

}  // namespace quant_internal
}  // namespace hfb
