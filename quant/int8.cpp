// Scheme int8: absmax symmetric, codes in [-127, 127], one int8 per weight, scale amax / 127.
#include "quant/absmax.h"

namespace hfb {
namespace quant_internal {

void pack_int8_row(EncodedTensor* out, int64_t row, const int8_t* q) {
  std::memcpy(out->codes.data() + row * out->cols, q, static_cast<size_t>(out->cols));
}

Status encode_int8(const SourceMatrix& src, bool reference, EncodedTensor* out) {
  out->codes.assign(static_cast<size_t>(src.rows * src.cols), 0);
  return encode_absmax(src, reference, 127, out, [out](int64_t row, const int8_t* q) { pack_int8_row(out, row, q); });
}

void decode_row_int8(const EncodedTensor& enc, int64_t row, float* out) {
  const int8_t* q = reinterpret_cast<const int8_t*>(enc.codes.data() + row * enc.cols);
  decode_absmax_row(enc, row, out, [q](int64_t c) { return q[c]; });
}

}  // namespace quant_internal
}  // namespace hfb
