// MappedWeightStore: initializers as matrix views over the checkpoint's mapped bytes.
#include "runtime/mapped_weight_store.h"

#include "core/byte_source.h"

namespace hfb {

Result<MatrixView> tensor_matrix_view(const TensorInfo& info, std::shared_ptr<const ByteSource>* bytes) {
  const auto& dims = info.shape.dims();
  const auto elements = info.shape.num_elements();
  const int64_t rows = dims.size() >= 2 ? dims[0] : 1;
  if (!elements || rows <= 0 || *elements == 0) {
    return Error(ErrorCode::kInvalidFile, "weights: empty or oversized tensor " + info.shape.to_string())
        .with_tensor(info.name);
  }
  const int64_t cols = static_cast<int64_t>(*elements) / rows;
  MatrixView view;
  uint64_t expected = 0;
  if (info.dtype.id() == DTypeId::kQ4_0 || info.dtype.id() == DTypeId::kQ8_0) {
    // ggml blocks as a GGUF stores them: each row a whole number of 32-element blocks (checked by the reader).
    if (cols % info.dtype.block_size() != 0) {
      return Error(ErrorCode::kInvalidFile, "weights: " + std::string(info.dtype.name()) + " rows of " +
                                                std::to_string(cols) + " elements are not whole blocks of " +
                                                std::to_string(info.dtype.block_size()))
          .with_tensor(info.name);
    }
    view.format = info.dtype.id() == DTypeId::kQ4_0 ? RowFormat::kQ4_0 : RowFormat::kQ8_0;
    view.rows = rows;
    view.cols = cols;
    view.row_stride = cols / info.dtype.block_size() * info.dtype.block_bytes();
    expected = static_cast<uint64_t>(view.row_stride) * static_cast<uint64_t>(rows);
  } else {
    expected = *elements * static_cast<uint64_t>(info.dtype.id() == DTypeId::kF32 ? 4 : 2);
    HFB_TRY(view, float_matrix_view(nullptr, info.dtype, rows, cols));
  }
  if (info.num_bytes != expected) {
    return Error(ErrorCode::kInvalidFile, "weights: " + std::to_string(info.num_bytes) + " bytes stored, " +
                                              std::to_string(expected) + " expected for " + info.shape.to_string())
        .with_tensor(info.name);
  }
  if (!info.source) return Error(ErrorCode::kInternal, "weights: tensor has no byte source").with_tensor(info.name);
  HFB_TRY(ByteSpan span, info.source->read(info.offset, info.num_bytes));
  *bytes = info.source;
  const uintptr_t element = info.dtype.id() == DTypeId::kF32 ? 4 : 2;
  if (reinterpret_cast<uintptr_t>(span.data) % element != 0) {  // copied once; operator new aligns to >= 16
    auto copy = std::make_shared<MemorySource>(std::vector<uint8_t>(span.data, span.data + span.size),
                                               info.source->path());
    HFB_TRY(span, copy->read(0, info.num_bytes));
    *bytes = std::move(copy);
  }
  view.codes = span.data;
  return view;
}

Result<std::unique_ptr<MappedWeightStore>> MappedWeightStore::create(const Graph& graph, const TensorTable& tensors) {
  std::unique_ptr<MappedWeightStore> store(new MappedWeightStore());
  for (const ValueInfo& value : graph.data().values) {
    if (value.kind != ValueKind::kInitializer || store->weights_.contains(value.tensor)) continue;
    HFB_TRY(const TensorInfo* info, initializer_tensor(value, tensors));
    std::shared_ptr<const ByteSource> bytes;
    auto view = tensor_matrix_view(*info, &bytes);
    if (!view.ok()) return std::move(view).error().with_context("while mapping the weights of '" + value.name + "'");
    store->weights_.put(value.tensor, value.dims, *view, {std::move(bytes)});
  }
  return store;
}

Result<WeightView> MappedWeightStore::weight(const ValueInfo& initializer) const {
  if (auto view = weights_.find(initializer.tensor)) return *std::move(view);
  return Error(ErrorCode::kNotFound, "weights: store holds no data for initializer '" + initializer.name + "'")
      .with_tensor(initializer.tensor);
}

}  // namespace hfb
