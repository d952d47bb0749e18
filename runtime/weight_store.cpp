// F32WeightStore: initializer tensors widened to float32 once, on load.
#include "runtime/weight_store.h"

namespace hfb {

Result<const TensorInfo*> initializer_tensor(const ValueInfo& initializer, const TensorTable& tensors) {
  const TensorInfo* info = tensors.find(initializer.tensor);
  if (!info) {
    return Error(ErrorCode::kNotFound, "weights: tensor not in the tensor table").with_tensor(initializer.tensor);
  }
  if (info->shape.dims() != initializer.dims) {
    return Error(ErrorCode::kInvalidArgument, "weights: tensor shape " + info->shape.to_string() +
                                                  " differs from the graph's " + dims_to_string(initializer.dims))
        .with_tensor(initializer.tensor);
  }
  return info;
}

Result<std::unique_ptr<F32WeightStore>> F32WeightStore::create(const Graph& graph, const TensorTable& tensors) {
  auto store = std::make_unique<F32WeightStore>();
  for (const ValueInfo& value : graph.data().values) {
    if (value.kind != ValueKind::kInitializer || store->entries_.count(value.tensor)) continue;
    HFB_TRY(const TensorInfo* info, initializer_tensor(value, tensors));
    HFB_TRY(std::vector<float> data, tensor_to_f32(*info));
    store->put(value.tensor, value.dims, std::move(data));
  }
  return store;
}

void F32WeightStore::put(const std::string& tensor, std::vector<int64_t> dims, std::vector<float> data) {
  entries_[tensor] = Entry{std::move(dims), std::move(data)};
}

Result<WeightView> F32WeightStore::weight(const ValueInfo& initializer) const {
  auto it = entries_.find(initializer.tensor);
  if (it == entries_.end()) {
    return Error(ErrorCode::kNotFound, "weights: store holds no data for initializer '" + initializer.name + "'")
        .with_tensor(initializer.tensor);
  }
  return WeightView{it->second.data.data(), it->second.dims};
}

}  // namespace hfb
