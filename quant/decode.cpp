// Decoding encoded tensors: row dequantization, embedding gathers and matrix-vector products.
#include <vector>

#include "quant/matrix_view.h"
#include "quant/quant_internal.h"
#include "quant/scheme.h"
#include "quant/scheme_traits.h"

namespace hfb {
namespace {

using namespace quant_internal;

void decode_row(const EncodedTensor& enc, int64_t row, float* out) { scheme_traits(enc.scheme).decode_row(enc, row, out); }

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
  matrix_dot_rows(matrix_view(enc), x, row_begin, row_end, y);
}

void matvec(const EncodedTensor& enc, const float* x, float* y) { matvec_rows(enc, x, 0, enc.rows, y); }

}  // namespace hfb
