// Writer side of the manifest's op graph: core GraphData -> hfb.bundle.OpGraph / Graph
// (inverse: readers/bundle/bundle_graph.h).
#pragma once

#include <vector>

#include "core/graph.h"
#include "core/graph_split.h"
#include "formats/bundle.pb.h"

namespace hfb {

/// Fills `out` with every value (kind, dtype name, dims with -1 for L, tensor/role/layer of initializers),
/// state, node (op_type_name, inputs, outputs, attributes in key order), input, output and tap of `graph`.
/// Cannot fail: every GraphData is representable.
void graph_to_proto(const GraphData& graph, bundle::OpGraph* out);

/// One node as stored in OpGraph.nodes and Chunk.graph.nodes.
void node_to_proto(const Node& node, bundle::Node* out);

/// A chunk's subgraph: its nodes (in whole-graph order), the tensor names its initializers read, and
/// (format 1.2) its boundary inputs, outputs and imported states.
void chunk_graph_to_proto(const ChunkGraph& chunk, bundle::Graph* out);

}  // namespace hfb
