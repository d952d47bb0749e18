// Shared editing helpers for passes: removing tensors from the table, checking that the graph no
// longer references them, removing initializers, and dead-code elimination on the op graph.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "core/tensor.h"
#include "passes/pass.h"

namespace hfb {

/// Removes the tensors named in `reasons` (name -> why) from `table`, keeping the file order of
/// the rest, and returns one kTensorRemoved change per removed tensor (in table order).
std::vector<PassChange> remove_tensors(TensorTable* table,
                                       const std::map<std::string, std::string>& reasons);

/// Fails with kInvalidArgument if an initializer of `graph` reads one of `tensors`, naming the
/// initializer, the tensor and the first node that consumes it.
Status check_graph_does_not_read(const Graph& graph, const std::set<std::string>& tensors,
                                 std::string_view pass);

/// Dead-code elimination: drops nodes none of whose outputs reach a graph output or tap (an
/// attention node that writes a state stays while a live node reads that state), then
/// initializers and states nothing reads. Appends kNodeRemoved / kInitializerRemoved changes.
/// Fails only if the rebuilt graph does not validate (an internal error).
Result<Graph> eliminate_dead_code(const Graph& graph, std::vector<PassChange>* changes);

/// The common tail of a pass that drops tensors: checks the graph (when there is one) reads none of `reasons`,
/// removes the code that became dead, then removes the tensors from the model's table. The report lists the
/// removed tensors first, then the graph changes. Fails like check_graph_does_not_read / eliminate_dead_code.
Result<PassReport> remove_tensors_and_dead_code(PassContext& context,
                                                const std::map<std::string, std::string>& reasons,
                                                std::string_view pass);

}  // namespace hfb
