// ViewedWeights: the shared storage of the stores that compute on weights as stored.
#include "runtime/viewed_weights.h"

#include <utility>

namespace hfb {

void ViewedWeights::put(const std::string& tensor, std::vector<int64_t> dims, MatrixView matrix,
                        std::vector<std::shared_ptr<const ByteSource>> keep_alive, std::vector<float> lut) {
  Entry& entry = entries_[tensor];
  entry = Entry{std::move(dims), matrix, std::move(keep_alive), std::move(lut)};
  if (!entry.lut.empty()) entry.matrix.lut = entry.lut.data();  // the owned copy, at its final address
}

std::optional<WeightView> ViewedWeights::find(const std::string& tensor) const {
  auto it = entries_.find(tensor);
  if (it == entries_.end()) return std::nullopt;
  WeightView view;
  view.dims = it->second.dims;
  view.matrix = it->second.matrix;
  return view;
}

}  // namespace hfb
