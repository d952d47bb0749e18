// Calibrated quantization: quantize() with the free choices of a scheme weighted per input column (the
// importance matrix, quant/imatrix.h), as ggml's imatrix quantizers do.
#pragma once

#include <vector>

#include "core/error.h"
#include "quant/scheme.h"

namespace hfb {

/// Whether column weights change how `scheme` encodes with `params` (as given or as stored: normalize_params
/// is applied): int8/int4 with a scale per row or per block of a row, kmeans4/kmeans8. Never none, q4_0 or q8_0
/// (the ggml formats stay bit-exact with ggml's reference quantizers), nor int8/int4 per tensor. Weights only
/// exist when the user asked for calibration (convert --calibrate / --imatrix): an uncalibrated convert never
/// reaches this and stays plain absmax, byte for byte.
bool calibration_applies(Scheme scheme, int64_t rows, int64_t cols, const QuantParams& params);

/// quantize() with weights w[c] > 0 per input column, minimising sum_rc w[c] (x[r,c] - dequant[r,c])^2 where the
/// scheme has a choice:
/// - int8/int4 per row or block: the absmax scale, and for k = -9..9 the codes round(x (qmax + 0.1 k) / amax)
///   with their weighted least-squares scale (ggml make_qx_quants); the candidate with the lowest weighted error,
///   scale as stored (f16/f32), wins; ties keep the earlier (absmax first), so the result is never worse than
///   quantize()'s in the weighted error.
/// - kmeans4/kmeans8: the exact weighted 1-D k-means LUT (each value weighted by its column's weight).
/// Where calibration_applies is false the result is quantize()'s, byte for byte. Bytes never depend on
/// params.num_threads. Fails as quantize(), or with kInvalidArgument naming the tensor when `column_weights`
/// has another length than src.cols or a weight that is not finite and > 0.
Result<EncodedTensor> quantize_weighted(Scheme scheme, const SourceMatrix& src, const QuantParams& params,
                                        const std::vector<float>& column_weights);
/// The same on one thread (the reference the tests compare against); byte-identical to quantize_weighted.
Result<EncodedTensor> quantize_weighted_reference(Scheme scheme, const SourceMatrix& src, const QuantParams& params,
                                                  const std::vector<float>& column_weights);

/// sum over rows and columns of column_weights[c] * (x[r,c] - dequant(enc)[r,c])^2, in double, row order.
/// Preconditions (CHECKed): enc encodes a [src.rows, src.cols] matrix, column_weights.size() == src.cols.
double weighted_squared_error(const SourceMatrix& src, const EncodedTensor& enc,
                              const std::vector<float>& column_weights);

}  // namespace hfb
