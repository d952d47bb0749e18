// MappedWeightStore: checkpoint weights computed on in their stored dtype (bf16, f16, f32) straight from the
// mapped safetensors files; nothing is widened or copied.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "core/tensor.h"
#include "quant/matrix_view.h"
#include "runtime/viewed_weights.h"
#include "runtime/weight_store.h"

namespace hfb {

/// A view of a float tensor's stored bytes as [dims[0], product of the other dims] (rank 0 and 1: one row),
/// valid while `*bytes` lives: info.source itself, or, when the mapped bytes are not aligned for their element
/// type (legal in safetensors: the header length and data offsets need not be multiples of 4), a MemorySource
/// holding an aligned copy, so the kernels' 2/4-byte loads are never misaligned. q4_0 / q8_0 blocks (a GGUF's
/// tensors as stored) are viewed as they are. Fails with kUnsupported for a dtype other than
/// F32/F16/BF16/Q4_0/Q8_0, kInvalidFile when the byte count disagrees with the shape, and like ByteSource::read.
Result<MatrixView> tensor_matrix_view(const TensorInfo& info, std::shared_ptr<const ByteSource>* bytes);

class MappedWeightStore final : public WeightStore {
 public:
  /// Views every tensor the graph's initializers read. Fails with kNotFound if one is not in `tensors`,
  /// kInvalidArgument if its shape differs from the graph's, and like tensor_matrix_view.
  static Result<std::unique_ptr<MappedWeightStore>> create(const Graph& graph, const TensorTable& tensors);
  Result<WeightView> weight(const ValueInfo& initializer) const override;

 private:
  ViewedWeights weights_;
};

}  // namespace hfb
