// quantize_weighted: checks, dispatch to the weighted encoders (weighted_absmax.cpp, kmeans.cpp), metrics.
#include "quant/weighted_quantize.h"

#include <cmath>

#include "quant/quant_internal.h"

namespace hfb {
namespace {

using namespace quant_internal;

Status check_column_weights(const SourceMatrix& src, const std::vector<float>& weights) {
  if (static_cast<int64_t>(weights.size()) != src.cols) {
    return Error(ErrorCode::kInvalidArgument, "calibration: " + std::to_string(weights.size()) +
                                                  " column weights for a matrix of " + std::to_string(src.cols) +
                                                  " columns")
        .with_tensor(src.name);
  }
  for (size_t c = 0; c < weights.size(); ++c) {
    if (!std::isfinite(weights[c]) || !(weights[c] > 0.0f)) {
      return Error(ErrorCode::kInvalidArgument, "calibration: column weight " + std::to_string(c) + " is " +
                                                    std::to_string(weights[c]) + " (expected finite and > 0)")
          .with_tensor(src.name);
    }
  }
  return ok_status();
}

Result<EncodedTensor> run_weighted(Scheme scheme, const SourceMatrix& src, const QuantParams& params,
                                   const std::vector<float>& weights, bool reference) {
  if (!calibration_applies(scheme, src.rows, src.cols, params)) {
    return reference ? quantize_reference(scheme, src, params) : quantize(scheme, src, params);
  }
  HFB_TRY(check_column_weights(src, weights));
  HFB_TRY(check_quantizable(scheme, src, params));
  HFB_TRY(check_source_values(scheme, src, params));
  EncodedTensor out = encoded_shell(scheme, src, params);
  if (reference) out.params.num_threads = 1;
  const bool kmeans = scheme == Scheme::kKmeans4 || scheme == Scheme::kKmeans8;
  Status st = kmeans ? encode_kmeans_weighted(src, weights.data(), reference, &out)
                     : encode_absmax_weighted(src, weights.data(), reference, &out);
  if (!st.ok()) return std::move(st).error();
  out.params.num_threads = params.num_threads;
  if (params.compute_metrics) out.metrics = measure_encoded(src, out, reference ? 1 : params.num_threads);
  return out;
}

}  // namespace

bool calibration_applies(Scheme scheme, int64_t rows, int64_t cols, const QuantParams& params) {
  const QuantParams stored = normalize_params(scheme, rows, cols, params);
  switch (scheme) {
    case Scheme::kInt8:
    case Scheme::kInt4: return !stored.per_tensor;  // per block or per row; one scale per tensor stays absmax
    case Scheme::kKmeans4:
    case Scheme::kKmeans8: return true;
    default: return false;
  }
}

Result<EncodedTensor> quantize_weighted(Scheme scheme, const SourceMatrix& src, const QuantParams& params,
                                        const std::vector<float>& column_weights) {
  return run_weighted(scheme, src, params, column_weights, false);
}

Result<EncodedTensor> quantize_weighted_reference(Scheme scheme, const SourceMatrix& src, const QuantParams& params,
                                                  const std::vector<float>& column_weights) {
  return run_weighted(scheme, src, params, column_weights, true);
}

double weighted_squared_error(const SourceMatrix& src, const EncodedTensor& enc,
                              const std::vector<float>& column_weights) {
  HFB_CHECK(enc.rows == src.rows && enc.cols == src.cols);
  HFB_CHECK(static_cast<int64_t>(column_weights.size()) == src.cols);
  std::vector<float> x(static_cast<size_t>(src.cols)), y(x.size());
  double total = 0;
  for (int64_t r = 0; r < src.rows; ++r) {
    load_row(src, r, x.data());
    dequantize_rows(enc, r, r + 1, y.data());
    for (int64_t c = 0; c < src.cols; ++c) {
      const double d = static_cast<double>(x[c]) - y[c];
      total += static_cast<double>(column_weights[c]) * d * d;
    }
  }
  return total;
}

}  // namespace hfb
