// BundleWeightStore: bundle tensors -> float32 or EncodedTensor, once, for the graph interpreter.
#include "pipeline/bundle_weight_store.h"

#include "pipeline/bundle_inspect.h"

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
  if (encoded_.count(name) || floats_.count(name)) return ok_status();
  if (!tensor.scheme.empty() || tensor.info.dtype.is_quantized()) {
    HFB_TRY(EncodedTensor enc, bundle_tensor_to_encoded(tensor));  // validators/bundle_inspect.h
    encoded_[name] = std::move(enc);
    return ok_status();
  }
  HFB_TRY(std::vector<float> data, tensor_to_f32(tensor.info));
  floats_[name] = FloatEntry{tensor.info.shape.dims(), std::move(data)};
  return ok_status();
}

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
  auto enc = encoded_.find(initializer.tensor);
  if (enc != encoded_.end()) return WeightView{nullptr, enc->second.shape.dims(), &enc->second};
  auto flt = floats_.find(initializer.tensor);
  if (flt != floats_.end()) return WeightView{flt->second.data.data(), flt->second.dims, nullptr};
  return Error(ErrorCode::kNotFound, "weights: the bundle store holds no data for initializer '" + initializer.name +
                                         "'")
      .with_tensor(initializer.tensor);
}

}  // namespace hfb
