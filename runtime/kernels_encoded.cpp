// kernel_linear_encoded: decode matvec on the codes for one row, dequantized tiles + sgemm for prefill.
#include "runtime/kernels_encoded.h"

#include <cblas.h>

#include <algorithm>
#include <thread>

#include "runtime/kernels.h"

namespace hfb {
namespace {

constexpr int64_t kTileRows = 64;                    // output rows decoded per sgemm tile (prefill)
constexpr int64_t kThreadedMatvecWeights = 1 << 18;  // split a decode matvec over two threads above this

}  // namespace

void kernel_linear_encoded(const float* x, int64_t rows, const EncodedTensor& w, float* y, std::vector<float>* scratch) {
  const int64_t out = w.rows;
  const int64_t in = w.cols;
  if (rows == 1) {
    if (out * in < kThreadedMatvecWeights || out < 2) {
      matvec_rows(w, x, 0, out, y);
      return;
    }
    const int64_t half = out / 2;
    std::thread second([&] { matvec_rows(w, x, half, out, y + half); });
    matvec_rows(w, x, 0, half, y);
    second.join();
    return;
  }
  const int64_t tile = std::min(kTileRows, out);
  if (static_cast<int64_t>(scratch->size()) < tile * in) scratch->resize(static_cast<size_t>(tile * in));
  blas_threads_for(rows * in * tile);
  for (int64_t begin = 0; begin < out; begin += tile) {
    const int64_t end = std::min(out, begin + tile);
    dequantize_rows(w, begin, end, scratch->data());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(end - begin),
                static_cast<int>(in), 1.0f, x, static_cast<int>(in), scratch->data(), static_cast<int>(in), 0.0f,
                y + begin, static_cast<int>(out));
  }
}

}  // namespace hfb
