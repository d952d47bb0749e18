// Graph interpreter, Mixture-of-Experts ops and token_blocks: routing, the routed experts (banks in their stored
// format, only the routed experts' rows) and the count of expert weights each run reads.
#include <vector>

#include "runtime/graph_interpreter.h"
#include "runtime/kernels_moe.h"

namespace hfb {

void GraphInterpreter::count_expert_reads(const float* routing, const MoeExpertsParams& p, const MatrixView& gate_up,
                                           const MatrixView& down) {
  std::vector<bool> used(static_cast<size_t>(p.experts), false);
  for (int64_t r = 0; r < p.rows; ++r) {
    for (int64_t j = 0; j < p.top_k; ++j) {
      const auto e = static_cast<int64_t>(routing[r * 2 * p.top_k + j]);
      if (e >= 0 && e < p.experts) used[e] = true;
    }
  }
  const int64_t per_expert = 3 * p.intermediate * p.hidden;  // gate, up and down rows of one expert
  for (int64_t e = 0; e < p.experts; ++e) {
    if (!used[static_cast<size_t>(e)]) continue;
    experts_weights_read_ += per_expert;
    // The stored bytes of exactly this expert's rows: codes, their scales, the LUTs of the groups they touch.
    const int64_t gate_up_rows = 2 * p.intermediate;
    weight_bytes_read_ += gate_up.bytes_of_rows(e * gate_up_rows, (e + 1) * gate_up_rows) +
                          down.bytes_of_rows(e * p.hidden, (e + 1) * p.hidden);
  }
}

// The bank behind input `value` as E*R rows of C in its stored format (a float32 buffer if none was bound).
Result<MatrixView> GraphInterpreter::expert_bank(int value, int64_t experts, int64_t rows, int64_t cols) {
  const MatrixView* bound = matrix_weight(value);
  if (bound != nullptr) return expert_bank_view(*bound, experts, rows, cols);
  return float_matrix_view(buffer(value), DTypeId::kF32, experts * rows, cols);
}

Status GraphInterpreter::execute_moe(const CompiledNode& c) {
  const Node& node = *c.node;
  const int64_t top_k = node.attr_int("top_k", 0);
  if (node.op == OpType::kTokenBlocks) {
    kernel_token_blocks(int_buffer(c.inputs[0]), plan_.length, node.attr_ints("token_ids"), buffer(c.output));
    return ok_status();
  }
  if (node.op == OpType::kMoeRoute) {
    const auto& logits = plan_.dims[c.inputs[0]];
    kernel_moe_route(buffer(c.inputs[0]), logits[0], logits[1], buffer(c.inputs[1]), top_k, buffer(c.output));
    return ok_status();
  }
  const auto& x = plan_.dims[c.inputs[0]];
  const auto& gate_up_dims = plan_.dims[c.inputs[2]];
  MoeExpertsParams p;
  p.rows = x[0];
  p.hidden = x[1];
  p.experts = gate_up_dims[0];
  p.intermediate = gate_up_dims[1] / 2;
  p.top_k = top_k;
  p.silu = node.attr_string("activation", "") == "silu";
  auto gate_up = expert_bank(c.inputs[2], p.experts, 2 * p.intermediate, p.hidden);
  if (!gate_up.ok()) return Error(gate_up.error()).with_tensor(graph_.data().values[c.inputs[2]].tensor);
  auto down = expert_bank(c.inputs[3], p.experts, p.hidden, p.intermediate);
  if (!down.ok()) return Error(down.error()).with_tensor(graph_.data().values[c.inputs[3]].tensor);
  const float* routing = buffer(c.inputs[1]);
  count_expert_reads(routing, p, *gate_up, *down);
  kernel_moe_experts(buffer(c.inputs[0]), routing, *gate_up, *down, p, buffer(c.output), scratch_);
  return ok_status();
}

}  // namespace hfb
