// Graph interpreter, Mixture-of-Experts ops and token_blocks: routing, the routed experts (float or encoded
// banks, only the routed experts' rows) and the count of expert weights each run reads.
#include <vector>

#include "validators/graph_interpreter.h"
#include "validators/kernels_moe.h"

namespace hfb {

void GraphInterpreter::count_expert_reads(const float* routing, const MoeExpertsParams& p) {
  std::vector<bool> used(static_cast<size_t>(p.experts), false);
  for (int64_t r = 0; r < p.rows; ++r) {
    for (int64_t j = 0; j < p.top_k; ++j) {
      const auto e = static_cast<int64_t>(routing[r * 2 * p.top_k + j]);
      if (e >= 0 && e < p.experts) used[e] = true;
    }
  }
  const int64_t per_expert = 3 * p.intermediate * p.hidden;  // gate, up and down rows of one expert
  for (bool u : used) experts_weights_read_ += u ? per_expert : 0;
}

void GraphInterpreter::execute_moe(const CompiledNode& c) {
  const Node& node = *c.node;
  const int64_t top_k = node.attr_int("top_k", 0);
  if (node.op == OpType::kTokenBlocks) {
    kernel_token_blocks(int_buffer(c.inputs[0]), plan_.length, node.attr_ints("token_ids"), buffer(c.output));
    return;
  }
  if (node.op == OpType::kMoeRoute) {
    const auto& logits = plan_.dims[c.inputs[0]];
    kernel_moe_route(buffer(c.inputs[0]), logits[0], logits[1], buffer(c.inputs[1]), top_k, buffer(c.output));
    return;
  }
  const auto& x = plan_.dims[c.inputs[0]];
  const auto& gate_up = plan_.dims[c.inputs[2]];
  MoeExpertsParams p;
  p.rows = x[0];
  p.hidden = x[1];
  p.experts = gate_up[0];
  p.intermediate = gate_up[1] / 2;
  p.top_k = top_k;
  p.silu = node.attr_string("activation", "") == "silu";
  const float* routing = buffer(c.inputs[1]);
  count_expert_reads(routing, p);
  const EncodedTensor* gate_up_encoded = encoded_weight(c.inputs[2]);
  const EncodedTensor* down_encoded = encoded_weight(c.inputs[3]);
  const MoeBank gate_up_bank{gate_up_encoded ? nullptr : buffer(c.inputs[2]), gate_up_encoded};
  const MoeBank down_bank{down_encoded ? nullptr : buffer(c.inputs[3]), down_encoded};
  kernel_moe_experts(buffer(c.inputs[0]), routing, gate_up_bank, down_bank, p, buffer(c.output), scratch_);
}

}  // namespace hfb
