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
  if (entries_.count(name)) return ok_status();
  Entry entry;
  entry.dims = tensor.info.shape.dims();
  if (tensor.scheme.empty() && !tensor.info.dtype.is_quantized()) {
    std::shared_ptr<const ByteSource> bytes;
    HFB_TRY(entry.matrix, tensor_matrix_view(tensor.info, &bytes));  // runtime/mapped_weight_store.h
    entry.sources.push_back(std::move(bytes));
    entries_[name] = std::move(entry);
    return ok_status();
  }
  HFB_TRY(EncodedTensor shell, bundle_encoded_shell(tensor));
  ByteSpan codes, scales, lut;
  for (const BundleSegmentView& s : tensor.segments) {
    auto span = s.source->read(s.offset, s.length);
    if (!span.ok()) return std::move(span).error().with_tensor(name);
    if (s.part == "codes" || s.part == "data") codes = *span;
    if (s.part == "scales") scales = *span;
    if (s.part == "lut") lut = *span;
    entry.sources.push_back(s.source);
  }
  if (lut.size % sizeof(float) != 0) {
    return Error(ErrorCode::kInvalidFile, "lut segment of " + std::to_string(lut.size) +
                                              " bytes is not a whole number of float32 values")
        .with_tensor(name);
  }
  HFB_TRY(validate_encoded_parts(shell, codes.size, scales.size, lut.size / sizeof(float)));
  entry.matrix = matrix_view(shell);  // layout from the shell, bytes from the mapped segments
  entry.matrix.codes = codes.data;
  entry.matrix.scales = scales.data;
  entry.matrix.lut = reinterpret_cast<const float*>(lut.data);
  if (reinterpret_cast<uintptr_t>(lut.data) % alignof(float) != 0) {
    entry.lut.resize(lut.size / sizeof(float));
    std::memcpy(entry.lut.data(), lut.data, lut.size);
    entry.matrix.lut = entry.lut.data();
  }
  entry.encoded = true;
  entries_[name] = std::move(entry);
  return ok_status();
}

size_t BundleWeightStore::num_encoded() const {
  size_t n = 0;
  for (const auto& [name, entry] : entries_) n += entry.encoded;
  return n;
}

size_t BundleWeightStore::num_float() const { return entries_.size() - num_encoded(); }

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
  auto it = entries_.find(initializer.tensor);
  if (it != entries_.end()) {
    WeightView view;
    view.dims = it->second.dims;
    view.matrix = it->second.matrix;
    return view;
  }
  return Error(ErrorCode::kNotFound, "weights: the bundle store holds no data for initializer '" + initializer.name +
                                         "'")
      .with_tensor(initializer.tensor);
}

}  // namespace hfb
