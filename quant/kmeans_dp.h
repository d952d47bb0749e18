// Exact weighted 1-D k-means: the optimal contiguous partition of sorted weighted bins (Wu 1991 DP).
#pragma once

#include <cstdint>
#include <vector>

namespace hfb {

/// Sorted bins of a 1-D weighted sample: bin i holds total weight w[i], sum of w*x sx[i] and sum of
/// w*x^2 sxx[i] (a bin may hold several nearby values: the cost of any partition along bin
/// boundaries is still exact).
struct KmeansBins {
  std::vector<double> w, sx, sxx;
  int64_t size() const { return static_cast<int64_t>(w.size()); }
};

/// The partition of the bins into exactly min(k, n) contiguous clusters minimising the total
/// within-cluster weighted squared error. Returns the first bin of each cluster (ascending; [0] = 0)
/// and the minimum in *total_sse. Deterministic: among equal costs the leftmost split wins.
/// Divide-and-conquer over the monotone argmin: O(k n log n) cost evaluations, k*n ints of memory.
std::vector<int64_t> optimal_kmeans_1d(const KmeansBins& bins, int k, double* total_sse);

/// Weighted squared error of bins [first, last] around their weighted mean.
double kmeans_interval_sse(const KmeansBins& bins, int64_t first, int64_t last);

}  // namespace hfb
