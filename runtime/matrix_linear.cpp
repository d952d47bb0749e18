// linear_matrix: fused dot for one token, decoded tiles + sgemm for a prompt, both on the thread pool.
#include "runtime/matrix_linear.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

#include "core/thread_pool.h"
#include "runtime/kernels.h"

namespace hfb {
namespace {

void tile_product(const float* x, int64_t rows, const MatrixView& w, int64_t begin, int64_t end, float* y) {
  const int64_t in = w.cols;
  const float* tile = nullptr;
  if (w.format == RowFormat::kF32) {
    tile = reinterpret_cast<const float*>(w.codes + begin * w.row_stride);
  } else {
    thread_local std::vector<float> scratch;
    if (static_cast<int64_t>(scratch.size()) < (end - begin) * in) scratch.resize(static_cast<size_t>((end - begin) * in));
    matrix_decode_rows(w, begin, end, scratch.data());
    tile = scratch.data();
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(end - begin),
              static_cast<int>(in), 1.0f, x, static_cast<int>(in), tile, static_cast<int>(in), 0.0f, y + begin,
              static_cast<int>(w.rows));
}

}  // namespace

void linear_matrix(const float* x, int64_t rows, const MatrixView& w, float* y) {
  ThreadPool& pool = ThreadPool::global();
  if (rows == 1) {
    // Short products are not worth a wake-up: keep at least kLinearMinWeightsPerThread weights per range.
    const int64_t grain = std::max(kLinearMinRowsPerThread, kLinearMinWeightsPerThread / std::max<int64_t>(1, w.cols));
    pool.parallel_for(w.rows, grain, [&](int64_t begin, int64_t end) {
      matrix_dot_rows(w, x, begin, end, y + begin);
    });
    return;
  }
  blas_threads_for(0);  // one OpenBLAS thread per call: the pool spreads the tiles
  const int64_t tiles = (w.rows + kLinearTileRows - 1) / kLinearTileRows;
  pool.parallel_for(tiles, 1, [&](int64_t first, int64_t last) {
    for (int64_t t = first; t < last; ++t) {
      const int64_t begin = t * kLinearTileRows;
      tile_product(x, rows, w, begin, std::min(w.rows, begin + kLinearTileRows), y);
    }
  });
}

}  // namespace hfb
