// The rule "a quantizer never turns non-finite values into finite ones": with --allow-nonfinite, a tensor that
// holds NaN/Inf is kept in its stored float type (whatever scheme was asked for), and its coverage says so.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/tensor.h"
#include "quant/policy.h"

namespace hfb {

/// NaN/Inf values among `count` values of `dtype` (F32/F16/BF16; 0 for other dtypes).
int64_t count_nonfinite(const void* data, DType dtype, int64_t count);

/// NaN/Inf values of a float tensor, read from its source in blocks (the pages are released after each
/// block). Fails as ByteSource::read, and with kInvalidFile when the source changed underneath.
Result<int64_t> count_nonfinite(const TensorInfo& info);

/// The coverage reason of a tensor kept float by this rule: "kept float: N non-finite values (...)".
std::string kept_float_reason(int64_t nonfinite, Scheme requested);

/// Applies the rule to a policy decision: when decision.params.allow_nonfinite, the scheme is not none and the
/// tensor holds non-finite values, the decision becomes Scheme::kNone (kept as stored) with kept_float_reason;
/// otherwise it is returned unchanged (without reading the tensor when the flag is off or the scheme is none).
/// Without the flag the quantizer refuses such a tensor, naming row and column. Fails as count_nonfinite.
Result<TensorDecision> keep_nonfinite_float(const TensorInfo& info, TensorDecision decision);

}  // namespace hfb
