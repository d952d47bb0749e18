// Graph interpreter, weights in their stored format: binds matrix views (linear/gather/moe_experts compute on
// them, any other consumer gets a float32 copy decoded once, or reads f32 in place).
#include <cstdint>
#include <string>

#include "quant/scheme.h"
#include "runtime/graph_interpreter.h"
#include "runtime/matrix_linear.h"

namespace hfb {

void GraphInterpreter::bind_matrix(int value, const MatrixView& matrix) {
  const auto& values = graph_.data().values;
  if (weight_matrix_.size() != values.size()) weight_matrix_.assign(values.size(), std::nullopt);
  const std::string& name = values[value].name;
  bool float_consumer = false;
  bool matrix_consumer = false;
  for (const Node& node : graph_.nodes()) {
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] != name) continue;
      // moe_experts reads only the routed experts' rows of a bank (runtime/kernels_moe.h expert_bank_view).
      const bool matrix_ok = (node.op == OpType::kLinear && i == 1) || (node.op == OpType::kGather && i == 0) ||
                             (node.op == OpType::kMoeExperts && (i == 2 || i == 3));
      (matrix_ok ? matrix_consumer : float_consumer) = true;
    }
  }
  if (matrix_consumer) weight_matrix_[value] = matrix;
  if (!float_consumer || weight_data_[value] != nullptr) return;
  if (matrix.format == RowFormat::kF32 && reinterpret_cast<uintptr_t>(matrix.codes) % alignof(float) == 0) {
    weight_data_[value] = reinterpret_cast<const float*>(matrix.codes);  // read in place
    return;
  }
  std::vector<float>& decoded = decoded_weights_[value];  // small tensors: norms, scalars, tower convs
  decoded.resize(static_cast<size_t>(matrix.rows * matrix.cols));
  matrix_decode_rows(matrix, 0, matrix.rows, decoded.data());
  weight_data_[value] = decoded.data();
}

void GraphInterpreter::execute_linear(const CompiledNode& c) {
  const auto& w = plan_.dims[c.inputs[1]];
  const float* x = row_input(c);
  const int64_t rows = plan_.elements[c.output] / w[0];
  if (linear_observer_ != nullptr) {  // calibration only: the plain path pays one null test
    const ValueInfo& weight = graph_.data().values[c.inputs[1]];
    if (weight.kind == ValueKind::kInitializer) linear_observer_->observe_linear_input(weight.tensor, x, rows, w[1]);
  }
  if (const MatrixView* matrix = matrix_weight(c.inputs[1])) {
    linear_matrix(x, rows, *matrix, buffer(c.output));
    weight_bytes_read_ += matrix->bytes();
    return;
  }
  kernel_linear(x, rows, w[1], buffer(c.inputs[1]), w[0], buffer(c.output));
}

}  // namespace hfb
