// Graph interpreter, quantized weights: binds encoded initializers (linear/gather/moe_experts compute on them,
// any other consumer gets a float32 copy decoded once).
#include <string>

#include "quant/scheme.h"
#include "validators/graph_interpreter.h"

namespace hfb {

void GraphInterpreter::bind_encoded(int value, const EncodedTensor& encoded) {
  const auto& values = graph_.data().values;
  if (weight_encoded_.size() != values.size()) weight_encoded_.assign(values.size(), nullptr);
  weight_encoded_[value] = &encoded;
  const std::string& name = values[value].name;
  bool float_consumer = false;
  for (const Node& node : graph_.nodes()) {
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] != name) continue;
      // moe_experts reads only the routed experts' rows of an encoded bank (kernels_moe.h MoeBank).
      const bool encoded_ok = (node.op == OpType::kLinear && i == 1) || (node.op == OpType::kGather && i == 0) ||
                              (node.op == OpType::kMoeExperts && (i == 2 || i == 3));
      if (!encoded_ok) float_consumer = true;
    }
  }
  if (!float_consumer) return;
  std::vector<float>& decoded = decoded_weights_[value];
  decoded.resize(static_cast<size_t>(encoded.rows * encoded.cols));
  dequantize_rows(encoded, 0, encoded.rows, decoded.data());
  weight_data_[value] = decoded.data();
  weight_encoded_[value] = nullptr;
}

}  // namespace hfb
