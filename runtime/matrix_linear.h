// The linear op on a weight matrix in any stored format (quant/matrix_view.h), spread over the runtime's
// thread pool in fixed contiguous ranges so the result is identical for any thread count.
#pragma once

#include <cstdint>

#include "quant/matrix_view.h"

namespace hfb {

/// Output rows per range of a one-token product: small enough to balance, big enough to amortise a wake-up.
constexpr int64_t kLinearMinRowsPerThread = 16;
constexpr int64_t kLinearMinWeightsPerThread = 8192;
/// Output rows of W per prefill tile (decoded once, then one sgemm over every prompt row).
constexpr int64_t kLinearTileRows = 64;

/// y[r, o] = sum_i x[r, i] * W[o, i] for W = `w` [out, in] and x [rows, in]. One row: the fused decode-and-dot
/// kernel of w's format over the global pool's row ranges. More rows: fixed tiles of kLinearTileRows output
/// rows, each decoded into per-thread scratch (f32 weights are used in place) and multiplied with a
/// single-threaded sgemm; tiles are split over the pool. Per output element the arithmetic depends only
/// on the tile, never on the thread count. Never fails.
void linear_matrix(const float* x, int64_t rows, const MatrixView& w, float* y);

}  // namespace hfb
