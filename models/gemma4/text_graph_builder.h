// Gemma 4 text decoder -> op graph (the only place that knows the Gemma 4 text architecture).
#pragma once

#include "core/error.h"
#include "core/graph.h"
#include "core/graph_io.h"
#include "core/model_config.h"
#include "core/tensor.h"

namespace hfb {

/// The graph's inputs, outputs and taps are named as in core/graph_io.h (logits after final softcapping;
/// hidden_states_tap(i) = output of decoder layer i-1 after layer_scalar, num_layers = final-normed output).

/// Builds the text decoder graph from the resolved config and the tensor table (names as written by
/// Gemma4ForCausalLM, "model.*", or Gemma4ForConditionalGeneration, "model.language_model.*").
/// Every text tensor with used=true must be consumed by the graph; used=false tensors are not wired.
/// Fails with kNotFound naming a required tensor that is missing, kInvalidArgument when a tensor's
/// shape disagrees with the config (naming the node and both shapes) or a used tensor is left over,
/// kUnsupported for an activation or layout the builder does not know.
Result<Graph> build_gemma4_text_graph(const ModelConfig& config, const TensorTable& tensors);

}  // namespace hfb
