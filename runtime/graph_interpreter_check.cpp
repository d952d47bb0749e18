// Graph interpreter, the diagnostic finiteness check: after non-finite logits a caller reruns the step with
// checking on, and the first op output holding a NaN or Inf is named (op, element, the weights it read).
#include <cmath>
#include <string>

#include "runtime/graph_interpreter.h"

namespace hfb {

void GraphInterpreter::check_finite_output(const CompiledNode& c) {
  const auto& values = graph_.data().values;
  if (c.output < 0 || values[c.output].dtype.id() != DTypeId::kF32) return;
  const int64_t count = plan_.elements[c.output];
  const float* y = buffer(c.output);
  int64_t bad = 0;
  while (bad < count && std::isfinite(y[bad])) ++bad;
  if (bad == count) return;
  const auto& dims = plan_.dims[c.output];
  const int64_t rows = dims.empty() || dims[0] <= 0 ? 1 : dims[0];
  const int64_t per_row = count / rows;
  const Node& node = *c.node;
  std::string text = "'" + values[c.output].name + "' (" + std::string(op_type_name(node.op)) +
                     (node.name != values[c.output].name ? " node '" + node.name + "'" : std::string()) + ") is " + (std::isnan(y[bad]) ? "NaN" : "infinite") + " at row " + std::to_string(bad / per_row) +
                     " element " + std::to_string(bad % per_row);
  std::string weights;
  for (int input : c.inputs) {
    if (input < 0 || values[input].kind != ValueKind::kInitializer) continue;
    weights += (weights.empty() ? "" : ", ") + std::string("'") + values[input].tensor + "'";
  }
  if (!weights.empty()) text += "; it reads the weights " + weights;
  first_nonfinite_ = std::move(text);
}

}  // namespace hfb
