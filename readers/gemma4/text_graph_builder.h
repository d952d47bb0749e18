// Gemma 4 text decoder -> op graph (the only place that knows the Gemma 4 text architecture).
#pragma once

#include "core/error.h"
#include "core/graph.h"
#include "core/model_config.h"
#include "core/tensor.h"

namespace hfb {

/// Names of the graph's inputs/outputs, shared with the runtime.
inline constexpr const char* kGraphInputIds = "input_ids";    ///< [L] I64 token ids
inline constexpr const char* kGraphPositions = "positions";   ///< [L] I64 absolute positions
inline constexpr const char* kGraphLogits = "logits";         ///< [L, V] after final softcapping
/// Tap names: "hidden_states.<i>" in HF's output_hidden_states meaning (0 = scaled embeddings,
/// i = output of decoder layer i-1 after layer_scalar, num_layers = final-normed output).
std::string hidden_states_tap(int index);
/// Tap "moe_routing.<layer>": the moe_route output [L, 2*top_k] of a MoE layer (expert ids, then weights).
std::string moe_routing_tap(int layer);

/// Builds the text decoder graph from the resolved config and the tensor table (names as written by
/// Gemma4ForCausalLM, "model.*", or Gemma4ForConditionalGeneration, "model.language_model.*").
/// Every text tensor with used=true must be consumed by the graph; used=false tensors are not wired.
/// Fails with kNotFound naming a required tensor that is missing, kInvalidArgument when a tensor's
/// shape disagrees with the config (naming the node and both shapes) or a used tensor is left over,
/// kUnsupported for an activation or layout the builder does not know.
Result<Graph> build_gemma4_text_graph(const ModelConfig& config, const TensorTable& tensors);

}  // namespace hfb
