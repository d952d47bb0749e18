// Joins golden_tensors.safetensors with the cases parsed from golden.json (internal to validators/golden).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "validators/golden.h"

namespace hfb {

/// Fills every case's logits, hidden states, media inputs and taps from `tensors` ("<case>.<name>").
/// Fails with kNotFound for a missing required tensor and kInvalidFile for a wrong dtype/shape or a
/// disagreement with golden.json, naming `path` and the tensor.
Status attach_golden_tensors(const std::vector<TensorInfo>& tensors, const std::string& path, Golden* golden);

/// A float tensor (F32/F16/BF16) as a matrix: rows = product of all dims but the last (rank 1: [n, 1]).
Result<Matrix> golden_tensor_to_matrix(const TensorInfo& info);

/// An I64 tensor's values. Fails with kInvalidFile for another dtype or a byte size mismatch.
Result<std::vector<int64_t>> golden_tensor_to_i64(const TensorInfo& info);

}  // namespace hfb
