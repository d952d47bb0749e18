// Exact weighted 1-D k-means by dynamic programming with a divide-and-conquer monotone argmin.
#include "quant/kmeans_dp.h"

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace hfb {
namespace {

struct Prefix {
  std::vector<double> w, s, q;  // size n + 1
  explicit Prefix(const KmeansBins& b) : w(b.w.size() + 1, 0.0), s(w.size(), 0.0), q(w.size(), 0.0) {
    for (size_t i = 0; i < b.w.size(); ++i) {
      w[i + 1] = w[i] + b.w[i];
      s[i + 1] = s[i] + b.sx[i];
      q[i + 1] = q[i] + b.sxx[i];
    }
  }
  // SSE of bins [j, i] (inclusive).
  double cost(int64_t j, int64_t i) const {
    const double ww = w[i + 1] - w[j];
    const double ss = s[i + 1] - s[j];
    const double c = (q[i + 1] - q[j]) - ss * ss / ww;
    return c > 0.0 ? c : 0.0;
  }
};

struct Layer {
  const Prefix& pre;
  const double* prev;   // D[c-1][.]
  double* cur;          // D[c][.]
  int32_t* arg;         // start of the last cluster for each end i
  int64_t min_start;    // c - 1: every earlier cluster needs one bin

  void solve(int64_t lo, int64_t hi, int64_t jlo, int64_t jhi) {
    while (lo <= hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      const int64_t jb = std::max(jlo, min_start);
      const int64_t je = std::min(mid, jhi);
      double best = std::numeric_limits<double>::infinity();
      int64_t best_j = jb;
      for (int64_t j = jb; j <= je; ++j) {
        const double v = prev[j - 1] + pre.cost(j, mid);
        if (v < best) {
          best = v;
          best_j = j;
        }
      }
      cur[mid] = best;
      arg[mid] = static_cast<int32_t>(best_j);
      // Left half recursively, right half iteratively (bounded stack depth).
      if (mid - 1 >= lo) solve(lo, mid - 1, jlo, best_j);
      lo = mid + 1;
      jlo = best_j;
    }
  }
};

}  // namespace

double kmeans_interval_sse(const KmeansBins& bins, int64_t first, int64_t last) {
  double w = 0, s = 0, q = 0;
  for (int64_t i = first; i <= last; ++i) {
    w += bins.w[i];
    s += bins.sx[i];
    q += bins.sxx[i];
  }
  const double c = q - s * s / w;
  return c > 0.0 ? c : 0.0;
}

std::vector<int64_t> optimal_kmeans_1d(const KmeansBins& bins, int k, double* total_sse) {
  const int64_t n = bins.size();
  HFB_CHECK(n >= 1 && k >= 1 && n < std::numeric_limits<int32_t>::max());
  const int64_t clusters = std::min<int64_t>(k, n);
  const Prefix pre(bins);
  std::vector<double> prev(static_cast<size_t>(n)), cur(static_cast<size_t>(n));
  std::vector<int32_t> arg(static_cast<size_t>(clusters * n), 0);
  for (int64_t i = 0; i < n; ++i) prev[i] = pre.cost(0, i);
  for (int64_t c = 2; c <= clusters; ++c) {
    // Ends i of a c-cluster prefix: at least c bins, and enough bins left for the remaining clusters.
    const int64_t lo = c - 1;
    const int64_t hi = c == clusters ? n - 1 : n - 1 - (clusters - c);
    if (c == clusters) {
      Layer{pre, prev.data(), cur.data(), arg.data() + (c - 1) * n, c - 1}.solve(hi, hi, c - 1, hi);
    } else {
      Layer{pre, prev.data(), cur.data(), arg.data() + (c - 1) * n, c - 1}.solve(lo, hi, c - 1, hi);
    }
    std::swap(prev, cur);
  }
  *total_sse = prev[n - 1];
  std::vector<int64_t> starts(static_cast<size_t>(clusters), 0);
  int64_t end = n - 1;
  for (int64_t c = clusters; c >= 2; --c) {
    const int64_t j = arg[(c - 1) * n + end];
    starts[c - 1] = j;
    end = j - 1;
  }
  return starts;
}

}  // namespace hfb
