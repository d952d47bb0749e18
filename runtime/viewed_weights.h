// ViewedWeights: tensor name -> a matrix view of the weight's stored bytes and what keeps those bytes alive. The one
// storage of every store that computes on weights as stored: MappedWeightStore (a checkpoint's mapping),
// BundleWeightStore (a bundle's data files) and QuantizedWeightStore (the float tensors it keeps).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_source.h"
#include "quant/matrix_view.h"
#include "runtime/weight_store.h"

namespace hfb {

class ViewedWeights {
 public:
  /// Adds `tensor` (replacing an earlier entry of that name). `keep_alive` holds the sources `matrix` points into;
  /// `lut`, when not empty, is an owned copy of the LUT and the stored view is pointed at it.
  void put(const std::string& tensor, std::vector<int64_t> dims, MatrixView matrix,
           std::vector<std::shared_ptr<const ByteSource>> keep_alive, std::vector<float> lut = {});
  bool contains(const std::string& tensor) const { return entries_.count(tensor) != 0; }
  void erase(const std::string& tensor) { entries_.erase(tensor); }
  size_t size() const { return entries_.size(); }
  /// The weight view of `tensor` (dims and matrix set), nullopt when absent.
  std::optional<WeightView> find(const std::string& tensor) const;

 private:
  struct Entry {
    std::vector<int64_t> dims;
    MatrixView matrix;
    std::vector<std::shared_ptr<const ByteSource>> keep_alive;
    std::vector<float> lut;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace hfb
