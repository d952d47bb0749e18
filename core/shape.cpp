// Shape arithmetic, checked against overflow.
#include "core/shape.h"

#include "core/checked_math.h"

namespace hfb {

std::optional<uint64_t> Shape::num_elements() const {
  uint64_t n = 1;
  for (int64_t d : dims_) {
    if (d < 0) return std::nullopt;
    auto next = checked_mul(n, static_cast<uint64_t>(d));
    if (!next) return std::nullopt;
    n = *next;
  }
  return n;
}

std::optional<uint64_t> Shape::num_bytes(DType dtype) const {
  auto n = num_elements();
  if (!n) return std::nullopt;
  return dtype.bytes_for(*n);
}

std::string Shape::to_string() const {
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[i]);
  }
  return s + "]";
}

}  // namespace hfb
