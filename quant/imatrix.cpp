// ImportanceMatrix: accumulation, column weights, and the check against a model's tensor table.
#include "quant/imatrix.h"

#include <algorithm>

#include "quant/policy.h"

namespace hfb {

void ImportanceMatrix::accumulate(const std::string& tensor, const float* x, int64_t rows, int64_t cols) {
  ImatrixEntry& e = entries[tensor];
  if (e.sum_squares.empty()) e.sum_squares.assign(static_cast<size_t>(cols), 0.0);
  HFB_CHECK(static_cast<int64_t>(e.sum_squares.size()) == cols);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * cols;
    for (int64_t c = 0; c < cols; ++c) e.sum_squares[c] += static_cast<double>(row[c]) * row[c];
  }
  e.count += rows;
}

std::vector<float> ImportanceMatrix::column_weights(const std::string& tensor, int64_t cols) const {
  auto it = entries.find(tensor);
  if (it == entries.end() || it->second.count <= 0 || static_cast<int64_t>(it->second.sum_squares.size()) != cols) {
    return {};
  }
  double mean = 0;
  for (double s : it->second.sum_squares) mean += s;
  mean /= static_cast<double>(cols);
  std::vector<float> out(static_cast<size_t>(cols), 1.0f);
  if (!(mean > 0)) return out;  // all-zero input: every column alike
  for (int64_t c = 0; c < cols; ++c) {
    out[c] = static_cast<float>(std::max(it->second.sum_squares[c] / mean, kImatrixWeightFloor));
  }
  return out;
}

Status check_imatrix_matches(const ImportanceMatrix& imatrix, const TensorTable& tensors) {
  for (const auto& [name, entry] : imatrix.entries) {
    const TensorInfo* t = tensors.find(name);
    if (t == nullptr) {
      return Error(ErrorCode::kInvalidArgument, "imatrix: statistics for tensor '" + name +
                                                    "', which the model does not have (statistics for another model?)")
          .with_tensor(name);
    }
    const int64_t cols = matrix_view(t->shape).second;
    if (cols != static_cast<int64_t>(entry.sum_squares.size())) {
      return Error(ErrorCode::kInvalidArgument,
                   "imatrix: statistics for " + std::to_string(entry.sum_squares.size()) +
                       " input columns, the model's tensor " + t->shape.to_string() + " has " +
                       std::to_string(cols) + " (statistics for another model?)")
          .with_tensor(name);
    }
  }
  return ok_status();
}

}  // namespace hfb
