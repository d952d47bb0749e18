// The importance matrix (ggml's imatrix): per linear weight, the sum of x^2 of each input column over the
// calibration tokens and how many input rows were seen. The quantizers weight their free choices by it
// (quant/weighted_quantize.h); readers/imatrix_reader.h and writers/imatrix_writer.h store it
// (docs/formats/imatrix.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace hfb {

/// Statistics of one weight's input: sum_squares[c] = sum over observed input rows of x[c]^2.
struct ImatrixEntry {
  int64_t count = 0;                ///< input rows (token positions) observed
  std::vector<double> sum_squares;  ///< one per input column (the weight's matrix-view cols)
};

/// Columns whose mean x^2 is below this fraction of the tensor's mean still get this weight (relative): a
/// column never activated on the calibration text keeps a say, so its weights are not thrown away.
constexpr double kImatrixWeightFloor = 1e-3;

struct ImportanceMatrix {
  int64_t sequences = 0;  ///< calibration sequences run
  int64_t tokens = 0;     ///< calibration positions run
  std::map<std::string, ImatrixEntry> entries;  ///< by tensor name (sorted: the file order)

  /// Adds rows [rows, cols] of a linear's input to `tensor`'s entry (created on first use). In the order of
  /// the rows: the same calls give the same sums. CHECKs that cols matches an existing entry.
  void accumulate(const std::string& tensor, const float* x, int64_t rows, int64_t cols);
  /// Weights per input column for quantizing `tensor`: mean x^2 per column scaled to a mean of 1, each at
  /// least kImatrixWeightFloor. Empty when there is no entry, it has no rows or another column count.
  std::vector<float> column_weights(const std::string& tensor, int64_t cols) const;
};

/// Whether `imatrix` was collected on a model with this tensor table: every entry names a tensor of
/// `tensors` whose matrix view (quant/policy.h matrix_view) has as many columns. kInvalidArgument naming the
/// tensor and both column counts (or the missing tensor) otherwise ("statistics for another model?").
Status check_imatrix_matches(const ImportanceMatrix& imatrix, const TensorTable& tensors);

}  // namespace hfb
