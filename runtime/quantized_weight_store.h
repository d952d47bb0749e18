// QuantizedWeightStore: encoded (quantized) initializers the interpreter computes on directly, the kept float
// tensors viewed as stored (mapped). The in-memory convert -> run/verify path over it is pipeline/quantized_session.h.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "quant/coverage.h"
#include "quant/policy.h"
#include "quant/scheme.h"
#include "runtime/viewed_weights.h"
#include "runtime/weight_store.h"

namespace hfb {

class QuantizedWeightStore final : public WeightStore {
 public:
  /// Applies `policy` to every tensor of `tensors` (quantize_table) and views the used float tensors it keeps
  /// in their stored dtype (no copy). Fails like quantize_table and tensor_matrix_view (naming the tensor).
  static Result<std::unique_ptr<QuantizedWeightStore>> create(const TensorTable& tensors, const QuantPolicy& policy);
  /// Adds (or replaces) one float tensor (tests).
  void put_float(const std::string& tensor, std::vector<int64_t> dims, std::vector<float> data);
  /// An encoded view (data null, `encoded` set), a float32 view, or a matrix view of a mapped float tensor.
  /// kNotFound naming the tensor otherwise.
  Result<WeightView> weight(const ValueInfo& initializer) const override;
  const CoverageReport& coverage() const { return coverage_; }

 private:
  struct FloatEntry {
    std::vector<int64_t> dims;
    std::vector<float> data;
  };
  std::map<std::string, EncodedTensor> encoded_;
  std::map<std::string, FloatEntry> floats_;
  ViewedWeights mapped_;  ///< the kept float tensors, viewed in the checkpoint's mapping
  CoverageReport coverage_;
};

}  // namespace hfb
