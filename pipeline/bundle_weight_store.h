// BundleWeightStore: the weights of a bundle for the runtime: plain float tensors widened to float32, scheme
// tensors (codes/scales/lut segments) as EncodedTensor the interpreter computes on directly.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "quant/scheme.h"
#include "readers/bundle/bundle_reader.h"
#include "runtime/weight_store.h"

namespace hfb {

class BundleWeightStore final : public WeightStore {
 public:
  /// Loads the tensors the initializers of `graph` read (every float or encoded tensor of the bundle when
  /// `graph` is null): plain F32/F16/BF16 widened, scheme tensors and plain Q4_0/Q8_0 tensors as EncodedTensor
  /// (bundle_tensor_to_encoded, validators/bundle_inspect.h). Fails with kNotFound naming an initializer's
  /// tensor the bundle lacks, kInvalidFile when its shape differs from the graph's or its parts disagree with
  /// its scheme, kUnsupported for a plain non-float dtype or an unknown scheme.
  static Result<std::unique_ptr<BundleWeightStore>> create(const Bundle& bundle, const Graph* graph);
  Result<WeightView> weight(const ValueInfo& initializer) const override;
  /// Tensors held encoded / as float32.
  size_t num_encoded() const { return encoded_.size(); }
  size_t num_float() const { return floats_.size(); }

 private:
  struct FloatEntry {
    std::vector<int64_t> dims;
    std::vector<float> data;
  };
  Status load(const BundleTensor& tensor);
  std::map<std::string, EncodedTensor> encoded_;
  std::map<std::string, FloatEntry> floats_;
};

}  // namespace hfb
