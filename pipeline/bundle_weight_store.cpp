// BundleWeightStore: bundle tensors as matrix views into the mapped data files (no copy, no widening).
#include "pipeline/bundle_weight_store.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <tuple>

#include "pipeline/bundle_inspect.h"
#include "quant/policy.h"
#include "quant/scheme.h"
#include "runtime/mapped_weight_store.h"

namespace hfb {
namespace {

bool is_widenable(DType dtype) {
  return dtype.id() == DTypeId::kF32 || dtype.id() == DTypeId::kF16 || dtype.id() == DTypeId::kBF16;
}

Error shape_mismatch(const ValueInfo& value, const std::vector<int64_t>& dims) {
  return Error(ErrorCode::kInvalidFile, "initializer '" + value.name + "': the bundle stores shape " +
                                            dims_to_string(dims) + ", the graph expects " +
                                            dims_to_string(value.dims))
      .with_tensor(value.tensor);
}


}  // namespace

Status BundleWeightStore::load(const BundleTensor& tensor) {
  const std::string& name = tensor.info.name;
  if (weights_.contains(name)) return ok_status();
  if (tensor.scheme.empty() && !tensor.info.dtype.is_quantized()) {
    std::shared_ptr<const ByteSource> bytes;
    HFB_TRY(MatrixView matrix, tensor_matrix_view(tensor.info, &bytes));  // runtime/mapped_weight_store.h
    weights_.put(name, tensor.info.shape.dims(), matrix, {std::move(bytes)});
    return ok_status();
  }
  HFB_TRY(EncodedTensor shell, bundle_encoded_shell(tensor));
  ByteSpan codes, scales, lut;
  std::vector<std::shared_ptr<const ByteSource>> sources;  // keep the mapped files alive
  for (const BundleSegmentView& s : tensor.segments) {
    auto span = s.source->read(s.offset, s.length);
    if (!span.ok()) return std::move(span).error().with_tensor(name);
    if (s.part == "codes" || s.part == "data") codes = *span;
    if (s.part == "scales") scales = *span;
    if (s.part == "lut") lut = *span;
    sources.push_back(s.source);
  }
  if (lut.size % sizeof(float) != 0) {
    return Error(ErrorCode::kInvalidFile, "lut segment of " + std::to_string(lut.size) +
                                              " bytes is not a whole number of float32 values")
        .with_tensor(name);
  }
  HFB_TRY(validate_encoded_parts(shell, codes.size, scales.size, lut.size / sizeof(float)));
  MatrixView matrix = matrix_view(shell);  // layout from the shell, bytes from the mapped segments
  matrix.codes = codes.data;
  matrix.scales = scales.data;
  matrix.lut = reinterpret_cast<const float*>(lut.data);
  std::vector<float> lut_copy;  // only when a LUT segment is not 4-byte aligned in memory (never in a valid bundle)
  if (reinterpret_cast<uintptr_t>(lut.data) % alignof(float) != 0) {
    lut_copy.resize(lut.size / sizeof(float));
    std::memcpy(lut_copy.data(), lut.data, lut.size);
  }
  weights_.put(name, tensor.info.shape.dims(), matrix, std::move(sources), std::move(lut_copy));
  ++num_encoded_;
  return ok_status();
}

size_t BundleWeightStore::num_encoded() const { return num_encoded_; }

size_t BundleWeightStore::num_float() const { return weights_.size() - num_encoded_; }

Result<std::unique_ptr<BundleWeightStore>> BundleWeightStore::create(const Bundle& bundle, const Graph* graph) {
  std::unique_ptr<BundleWeightStore> store(new BundleWeightStore());
  if (graph == nullptr) {
    for (const BundleTensor& tensor : bundle.tensors()) {
      // Plain non-float tensors (I64 tables) are no weights a graph reads.
      if (tensor.scheme.empty() && !tensor.info.dtype.is_quantized() && !is_widenable(tensor.info.dtype)) continue;
      HFB_TRY(store->load(tensor));
    }
    return store;
  }
  for (const ValueInfo& value : graph->data().values) {
    if (value.kind != ValueKind::kInitializer) continue;
    const BundleTensor* tensor = bundle.find(value.tensor);
    if (tensor == nullptr) {
      return Error(ErrorCode::kNotFound, "initializer '" + value.name + "' reads a tensor the bundle does not store")
          .with_tensor(value.tensor)
          .with_path(bundle.path());
    }
    if (tensor->info.shape.dims() != value.dims) return shape_mismatch(value, tensor->info.shape.dims());
    HFB_TRY(store->load(*tensor));
  }
  return store;
}

Result<WeightView> BundleWeightStore::weight(const ValueInfo& initializer) const {
  if (auto view = weights_.find(initializer.tensor)) return *std::move(view);
  return Error(ErrorCode::kNotFound, "weights: the bundle store holds no data for initializer '" + initializer.name +
                                         "'")
      .with_tensor(initializer.tensor);
}

}  // namespace hfb
