// Splitting an op graph into per-chunk subgraphs run one after another: given which chunk each node
// belongs to, every chunk gets its nodes, values and states plus the explicit boundary values and the
// KV states it imports from an earlier chunk. Used by passes/chunk_partition (placement from a chunk
// plan) and by the bundle runtime (placement from the manifest's per-chunk node lists).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph.h"

namespace hfb {

struct ChunkGraph {
  std::string chunk;                       ///< the chunk's name ("decoder.1")
  GraphData data;                          ///< its nodes (in whole-graph order), values, states
  std::vector<std::string> inputs;         ///< values read but produced elsewhere, first use first
  std::vector<std::string> outputs;        ///< values later chunks read, graph outputs and taps
  std::vector<std::string> imported_states;  ///< KV states read here but written by an earlier chunk
};

/// Splits `graph` into `names.size()` chunks, node i going to chunk `placement[i]`. Values read in a
/// chunk but produced by an earlier chunk (or graph inputs) become boundary inputs (ValueKind::kInput);
/// values a later chunk reads, graph outputs and taps become the producing chunk's outputs; a state
/// read here but written by an earlier chunk is listed in imported_states and marked
/// StateInfo::imported, so every chunk validates (Graph::from_data) on its own. Chunks with no nodes
/// come back empty. Fails with kInvalidArgument if placement has the wrong size or an index out of
/// range, a node reads a value or a state that a later chunk produces, or a state is read before any
/// node writes it.
Result<std::vector<ChunkGraph>> split_graph(const Graph& graph, const std::vector<int>& placement,
                                            const std::vector<std::string>& names);

/// Chunk names in run order and the chunk (index into `chunks`) of every node, by node name: what a split
/// means independently of the graph's dims, so it can be re-applied to the graph respecialized to other
/// media sizes (node names survive respecialization).
struct ChunkAssignment {
  std::vector<std::string> chunks;
  std::map<std::string, int> node_chunk;
};

/// The assignment a split made (every chunk, empty ones included, in order).
ChunkAssignment chunk_assignment(const std::vector<ChunkGraph>& parts);

/// split_graph with every node placed by name. Fails with kInvalidArgument naming a node the assignment
/// does not place, else like split_graph.
Result<std::vector<ChunkGraph>> split_graph(const Graph& graph, const ChunkAssignment& assignment);

}  // namespace hfb
