// Scheme int4: absmax symmetric, codes in [-7, 7] stored as nibble q + 8, two per byte (low = even column).
#include "quant/absmax.h"

namespace hfb {
namespace quant_internal {

void pack_int4_row(EncodedTensor* out, int64_t row, const int8_t* q) {
  uint8_t* dst = out->codes.data() + row * out->row_stride();
  const int64_t cols = out->cols;
  for (int64_t j = 0; j < cols / 2; ++j) {
    dst[j] = static_cast<uint8_t>((q[2 * j] + 8) | ((q[2 * j + 1] + 8) << 4));
  }
  if (cols % 2 != 0) dst[cols / 2] = static_cast<uint8_t>((q[cols - 1] + 8) | (8 << 4));  // pad nibble: 8 (= 0)
}

Status encode_int4(const SourceMatrix& src, bool reference, EncodedTensor* out) {
  out->codes.assign(static_cast<size_t>(src.rows * out->row_stride()), 0);
  return encode_absmax(src, reference, 7, out, [out](int64_t row, const int8_t* q) { pack_int4_row(out, row, q); });
}

void decode_row_int4(const EncodedTensor& enc, int64_t row, float* out) {
  const uint8_t* b = enc.codes.data() + row * enc.row_stride();
  decode_absmax_row(enc, row, out, [b](int64_t c) {
    const uint8_t byte = b[c >> 1];
    return static_cast<int>((c & 1) ? (byte >> 4) : (byte & 15)) - 8;
  });
}

}  // namespace quant_internal
}  // namespace hfb
