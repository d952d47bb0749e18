// TensorTable and float widening.
#include "core/tensor.h"

#include <cstring>

namespace hfb {

bool TensorTable::add(TensorInfo info) {
  if (index_.count(info.name) != 0) return false;
  index_.emplace(info.name, tensors_.size());
  tensors_.push_back(std::move(info));
  return true;
}

const TensorInfo* TensorTable::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

TensorInfo* TensorTable::find_mutable(const std::string& name) {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Result<TensorView> TensorTable::view(const std::string& name) const {
  const TensorInfo* info = find(name);
  if (info == nullptr) return Error(ErrorCode::kNotFound, "no such tensor").with_tensor(name);
  if (!info->source) return Error(ErrorCode::kInternal, "tensor has no byte source").with_tensor(name);
  HFB_TRY(ByteSpan span, info->source->read(info->offset, info->num_bytes));
  return TensorView{info, span};
}

Result<std::vector<float>> tensor_to_f32(const TensorInfo& info) {
  if (!info.source) return Error(ErrorCode::kInternal, "tensor has no byte source").with_tensor(info.name);
  auto n = info.shape.num_elements();
  if (!n) return Error(ErrorCode::kLimit, "element count overflows").with_tensor(info.name);
  HFB_TRY(ByteSpan span, info.source->read(info.offset, info.num_bytes));
  std::vector<float> out(*n);
  switch (info.dtype.id()) {
    case DTypeId::kF32:
      if (span.size != *n * 4) break;
      std::memcpy(out.data(), span.data, span.size);
      return out;
    case DTypeId::kF16:
    case DTypeId::kBF16: {
      if (span.size != *n * 2) break;
      const bool bf = info.dtype.id() == DTypeId::kBF16;
      for (uint64_t i = 0; i < *n; ++i) {
        uint16_t h;
        std::memcpy(&h, span.data + 2 * i, 2);
        out[i] = bf ? bf16_to_f32(h) : f16_to_f32(h);
      }
      return out;
    }
    default:
      return Error(ErrorCode::kUnsupported,
                   "cannot widen dtype " + std::string(info.dtype.name()) + " to F32")
          .with_tensor(info.name);
  }
  return Error(ErrorCode::kInternal, "byte size does not match shape").with_tensor(info.name);
}

}  // namespace hfb
