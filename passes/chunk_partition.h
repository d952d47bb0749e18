// Partition of an op graph into per-chunk subgraphs following a ChunkPlan, with the explicit
// boundary values (hidden state, positions, PLE slices, ...) and the KV states handed over.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "core/graph_split.h"
#include "passes/chunk_plan.h"

namespace hfb {

/// Assigns every node to the earliest chunk that can compute it: the latest chunk among the
/// owners (per `plan`) of the initializers it reads and the chunks of the nodes feeding it; a node
/// neither constrains (it reads only graph inputs, or nothing) joins its earliest consumer's chunk.
/// Chunks the graph has nothing for (towers of a text-only graph) are returned empty. States a
/// chunk reads but an earlier chunk writes are listed in imported_states and marked
/// StateInfo::imported in its data, so the chunk validates (Graph::from_data) on its own.
/// Fails with kInvalidArgument if an initializer's tensor has no owning chunk in the plan (a plan
/// made from a config alone, or for another model) or a state is read before it is written.
Result<std::vector<ChunkGraph>> partition_graph(const Graph& graph, const ChunkPlan& plan);

/// Checks a partition against the whole graph: every node exactly once and in order, every
/// input of a chunk produced by an earlier chunk or a graph input, every imported state written
/// by an earlier chunk. Fails with kInternal naming the chunk and value.
Status check_partition(const Graph& graph, const std::vector<ChunkGraph>& chunks);

}  // namespace hfb
