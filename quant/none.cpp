// Scheme "none": plain float32 rows, so unquantized tensors share the encoded-tensor code paths.
#include "quant/quant_internal.h"

namespace hfb {
namespace quant_internal {

Status encode_none(const SourceMatrix& src, bool reference, EncodedTensor* out) {
  out->codes.resize(static_cast<size_t>(src.rows * src.cols) * 4);
  float* dst = reinterpret_cast<float*>(out->codes.data());
  parallel_for(src.rows, reference ? 1 : out->params.num_threads, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) load_row(src, r, dst + r * src.cols);
  });
  return ok_status();
}

void decode_row_none(const EncodedTensor& enc, int64_t row, float* out) {
  std::memcpy(out, enc.codes.data() + row * enc.row_stride(), static_cast<size_t>(enc.cols) * 4);
}

}  // namespace quant_internal
}  // namespace hfb
