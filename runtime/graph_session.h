// The reference runtime's entry points: a greedy-decoding Session over an op graph and a WeightStore.
#pragma once

#include <memory>

#include "core/error.h"
#include "core/graph.h"
#include "core/model.h"
#include "runtime/session.h"
#include "runtime/weight_store.h"

namespace hfb {

/// A Session executing `graph` (inputs input_ids/positions, output "logits", taps as in
/// readers/gemma4/text_graph_builder.h) with weights from `weights`. `num_layers` is reported by
/// Session::num_layers(). Fails like GraphInterpreter::create, or with kInvalidArgument if the graph
/// has no [L, V] "logits" output.
Result<std::unique_ptr<Session>> make_graph_session(const Graph& graph, std::shared_ptr<const WeightStore> weights,
                                                    int num_layers);

/// Builds the Gemma 4 text graph for `model`, widens its weights to float32 once and returns a Session.
/// Fails like build_gemma4_text_graph and MappedWeightStore::create. A model with an audio or vision tower
/// gets make_multimodal_session (validators/multimodal_session.h) instead.
Result<std::unique_ptr<Session>> make_session(const Model& model);

/// Same with a graph the caller already has (e.g. after passes rewrote it).
Result<std::unique_ptr<Session>> make_session(const Model& model, const Graph& graph);

}  // namespace hfb
