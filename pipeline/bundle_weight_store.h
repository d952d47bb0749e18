// BundleWeightStore: the weights of a bundle for the runtime, zero-copy: plain float tensors and scheme tensors
// (codes/scales/lut segments) as matrix views into the bundle's mapped data files, computed on directly.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "quant/matrix_view.h"
#include "readers/bundle/bundle_reader.h"
#include "runtime/viewed_weights.h"
#include "runtime/weight_store.h"

namespace hfb {

class BundleWeightStore final : public WeightStore {
 public:
  /// Views the tensors the initializers of `graph` read (every float or encoded tensor of the bundle when
  /// `graph` is null): plain F32/F16/BF16 in their stored dtype, scheme tensors and plain Q4_0/Q8_0 tensors as
  /// their codes/scales/LUT segments; nothing is copied (a zstd or zip bundle's files are already in memory).
  /// Fails with kNotFound naming an initializer's tensor the bundle lacks, kInvalidFile when its shape differs
  /// from the graph's or its parts disagree with its scheme, kUnsupported for a plain non-float dtype or an
  /// unknown scheme.
  static Result<std::unique_ptr<BundleWeightStore>> create(const Bundle& bundle, const Graph* graph);
  Result<WeightView> weight(const ValueInfo& initializer) const override;
  /// Tensors viewed in a scheme's encoding / as plain floats.
  size_t num_encoded() const;
  size_t num_float() const;

 private:
  Status load(const BundleTensor& tensor);
  ViewedWeights weights_;
  size_t num_encoded_ = 0;
};

}  // namespace hfb
