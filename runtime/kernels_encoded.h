// The linear kernel over an encoded (quantized) weight: the interpreter computes on the codes directly.
#pragma once

#include <cstdint>
#include <vector>

#include "quant/scheme.h"

namespace hfb {

/// y[r, o] = sum_i x[r, i] * W[o, i] for an encoded W [out, in] and x [rows, in]. One row: matvec_rows on
/// the codes (two threads for large matrices); more rows: W decoded tile by tile into `scratch` + sgemm.
void kernel_linear_encoded(const float* x, int64_t rows, const EncodedTensor& w, float* y, std::vector<float>* scratch);

}  // namespace hfb
