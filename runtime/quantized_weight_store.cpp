// QuantizedWeightStore: quantize_table's encoded tensors plus views of the kept float weights as stored.
#include "runtime/quantized_weight_store.h"

#include <utility>

#include "runtime/mapped_weight_store.h"

namespace hfb {
namespace {

bool is_plain_float(DType dtype) {
  return dtype.id() == DTypeId::kF32 || dtype.id() == DTypeId::kF16 || dtype.id() == DTypeId::kBF16;
}

}  // namespace

Result<std::unique_ptr<QuantizedWeightStore>> QuantizedWeightStore::create(const TensorTable& tensors,
                                                                           const QuantPolicy& policy) {
  HFB_TRY(QuantizedTable table, quantize_table(policy, tensors));
  auto store = std::make_unique<QuantizedWeightStore>();
  store->encoded_ = std::move(table.encoded);
  store->coverage_ = std::move(table.coverage);
  for (const TensorInfo& info : tensors.tensors()) {
    if (!info.used || !is_plain_float(info.dtype) || store->encoded_.count(info.name)) continue;
    std::shared_ptr<const ByteSource> bytes;
    HFB_TRY(MatrixView view, tensor_matrix_view(info, &bytes));  // computed on as stored, from the mapped file
    store->mapped_.put(info.name, info.shape.dims(), view, {std::move(bytes)});
  }
  return store;
}

void QuantizedWeightStore::put_float(const std::string& tensor, std::vector<int64_t> dims, std::vector<float> data) {
  encoded_.erase(tensor);
  mapped_.erase(tensor);
  floats_[tensor] = FloatEntry{std::move(dims), std::move(data)};
}

Result<WeightView> QuantizedWeightStore::weight(const ValueInfo& initializer) const {
  auto enc = encoded_.find(initializer.tensor);
  if (enc != encoded_.end()) return WeightView{nullptr, enc->second.shape.dims(), &enc->second};
  auto flt = floats_.find(initializer.tensor);
  if (flt != floats_.end()) return WeightView{flt->second.data.data(), flt->second.dims, nullptr};
  if (auto mapped = mapped_.find(initializer.tensor)) return *std::move(mapped);
  return Error(ErrorCode::kNotFound, "weights: quantized store holds no data for initializer '" + initializer.name + "'")
      .with_tensor(initializer.tensor);
}

}  // namespace hfb
