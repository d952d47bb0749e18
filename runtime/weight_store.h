// WeightStore: the only way the runtime sees weights, so a checkpoint, a float bundle and a quantized
// bundle run through the same interpreter.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "core/tensor.h"
#include "quant/matrix_view.h"

namespace hfb {

struct EncodedTensor;

/// The weights of one initializer, valid while the store lives: float32 `data`, or an `encoded` tensor, or a
/// `matrix` view in its stored format (bf16/f16/f32 or a scheme's codes, scales and LUTs, e.g. straight
/// from a mapped file). The interpreter's linear/gather ops compute on encoded tensors and matrix views
/// directly; any other consumer gets the values decoded to float32 once.
struct WeightView {
  const float* data = nullptr;
  std::vector<int64_t> dims;
  const EncodedTensor* encoded = nullptr;  ///< quant/scheme.h; null for float weights
  std::optional<MatrixView> matrix;        ///< set by stores that map weights instead of widening them
};

class WeightStore {
 public:
  virtual ~WeightStore() = default;
  /// The weights behind `initializer` (a graph value of kind kInitializer).
  /// Fails with kNotFound naming the tensor if the store does not hold it.
  virtual Result<WeightView> weight(const ValueInfo& initializer) const = 0;
};

/// The tensor-table entry behind a graph initializer, for stores built from a graph and a table. Fails with
/// kNotFound if the tensor is not in `tensors`, kInvalidArgument if its shape differs from the graph's.
Result<const TensorInfo*> initializer_tensor(const ValueInfo& initializer, const TensorTable& tensors);

/// Holds every initializer's tensor widened to float32 once (F32/F16/BF16 sources).
class F32WeightStore final : public WeightStore {
 public:
  /// Reads and widens every tensor the graph's initializers reference. Fails with kNotFound if one is not
  /// in `tensors`, kUnsupported for a non-float dtype, kInvalidArgument if its shape differs from the graph's.
  static Result<std::unique_ptr<F32WeightStore>> create(const Graph& graph, const TensorTable& tensors);
  /// Adds (or replaces) one tensor's float data, e.g. for synthetic models and tests.
  void put(const std::string& tensor, std::vector<int64_t> dims, std::vector<float> data);
  Result<WeightView> weight(const ValueInfo& initializer) const override;

 private:
  struct Entry {
    std::vector<int64_t> dims;
    std::vector<float> data;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace hfb
