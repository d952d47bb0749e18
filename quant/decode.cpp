// Decoding encoded tensors: row dequantization, embedding gathers and matrix-vector products.
#include <vector>

#include "quant/quant_internal.h"
#include "quant/scheme.h"
#include "quant/scheme_traits.h"

namespace hfb {
namespace {

using namespace quant_internal;

void decode_row(const EncodedTensor& enc, int64_t row, float* out) { scheme_traits(enc.scheme).decode_row(enc, row, out); }

/// Dot product with 8 independent partial sums (vectorises without -ffast-math), fixed order.
float dot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
  }
  for (int k = 0; i < n; ++i, ++k) acc[k] += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

}  // namespace

void dequantize_rows(const EncodedTensor& enc, int64_t row_begin, int64_t row_end, float* out) {
  HFB_CHECK(row_begin >= 0 && row_begin <= row_end && row_end <= enc.rows);
  HFB_CHECK(enc.codes.size() == static_cast<size_t>(enc.rows * enc.row_stride()));
  for (int64_t r = row_begin; r < row_end; ++r) decode_row(enc, r, out + (r - row_begin) * enc.cols);
}

void embedding_row(const EncodedTensor& enc, int64_t row, float* out) {
  dequantize_rows(enc, row, row + 1, out);
}

void matvec_rows(const EncodedTensor& enc, const float* x, int64_t row_begin, int64_t row_end, float* y) {
  HFB_CHECK(row_begin >= 0 && row_begin <= row_end && row_end <= enc.rows);
  HFB_CHECK(enc.codes.size() == static_cast<size_t>(enc.rows * enc.row_stride()));
  if (enc.scheme == Scheme::kNone) {
    for (int64_t r = row_begin; r < row_end; ++r) {
      const float* w = reinterpret_cast<const float*>(enc.codes.data() + r * enc.row_stride());
      y[r - row_begin] = dot(w, x, enc.cols);
    }
    return;
  }
  thread_local std::vector<float> buffer;
  buffer.resize(static_cast<size_t>(enc.cols));
  for (int64_t r = row_begin; r < row_end; ++r) {
    decode_row(enc, r, buffer.data());
    y[r - row_begin] = dot(buffer.data(), x, enc.cols);
  }
}

void matvec(const EncodedTensor& enc, const float* x, float* y) { matvec_rows(enc, x, 0, enc.rows, y); }

}  // namespace hfb
