// Shape: dimensions with overflow-checked element and byte counts.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace hfb {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  size_t rank() const { return dims_.size(); }
  int64_t operator[](size_t i) const { return dims_[i]; }
  int64_t dim(size_t i) const { return dims_[i]; }
  const std::vector<int64_t>& dims() const { return dims_; }

  /// Product of dims (1 for rank 0); nullopt if a dim is negative or the product overflows.
  std::optional<uint64_t> num_elements() const;
  /// Bytes of a dense tensor of this shape and dtype; nullopt on overflow or partial blocks.
  std::optional<uint64_t> num_bytes(DType dtype) const;

  /// "[64, 512]"
  std::string to_string() const;

  friend bool operator==(const Shape& a, const Shape& b) { return a.dims_ == b.dims_; }
  friend bool operator!=(const Shape& a, const Shape& b) { return a.dims_ != b.dims_; }

 private:
  std::vector<int64_t> dims_;
};

}  // namespace hfb
