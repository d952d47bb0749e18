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
/// core/graph_io.h) with weights from `weights`. `num_layers` is reported by
/// Session::num_layers(). Fails like GraphInterpreter::create, or with kInvalidArgument if the graph
/// has no [L, V] "logits" output.
Result<std::unique_ptr<Session>> make_graph_session(const Graph& graph, std::shared_ptr<const WeightStore> weights,
                                                    int num_layers);

/// Maps `model`'s weights that `graph` reads (computed on in their stored dtype, never widened) and returns a
/// Session over `graph` (built by the model's family, maybe rewritten by passes; pipeline/open_model.h builds
/// it from the model). Fails like MappedWeightStore::create and make_graph_session.
Result<std::unique_ptr<Session>> make_session(const Model& model, const Graph& graph);

}  // namespace hfb
