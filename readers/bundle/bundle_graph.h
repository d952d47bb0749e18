// Reader side of the manifest's op graph: hfb.bundle.OpGraph -> core GraphData / Graph
// (inverse of writers/bundle_graph.h).
#pragma once

#include <string>

#include "core/error.h"
#include "core/graph.h"
#include "core/graph_split.h"
#include "formats/bundle.pb.h"

namespace hfb {

class Bundle;

/// The plain graph stored in `proto`. Fails with kInvalidFile naming `path` and the node or value for an
/// unknown op, dtype, role or value kind, an attribute without a value, a float-list attribute (the IR has
/// none) or a rank above 8. Shapes are not checked here: Graph::from_data does that.
Result<GraphData> graph_from_proto(const bundle::OpGraph& proto, const std::string& path);

/// graph_from_proto + Graph::from_data (every node re-validated, dims re-inferred). Fails like both;
/// validation errors keep the graph's message and gain `path`.
Result<Graph> graph_from_proto_validated(const bundle::OpGraph& proto, const std::string& path);

/// The text graph of a bundle (Manifest.text_graph). Fails with kNotFound when the bundle has none (a 1.0
/// writer), else like graph_from_proto_validated.
Result<Graph> bundle_text_graph(const Bundle& bundle);

/// The chunk subgraphs of a bundle, in run order (readers/bundle/bundle_chunks.cpp): the manifest's
/// per-chunk node lists (Chunk.graph.nodes) place every node of `text_graph` (bundle_text_graph) in a
/// chunk, and split_graph derives each chunk's values, boundary inputs/outputs and imported states.
/// When no chunk lists a node (the chunk plan did not run), one chunk holds the whole graph. Fails with
/// kInvalidFile naming the manifest and the chunk for a listed node unknown to text_graph or stored
/// differently there, a node listed twice or in no chunk, a node reading a value or state a later chunk
/// produces, or stored boundary lists (format 1.2) that differ from the derived ones.
Result<std::vector<ChunkGraph>> bundle_chunk_graphs(const Bundle& bundle, const Graph& text_graph);

}  // namespace hfb
