// Reader side of the manifest's op graph: hfb.bundle.OpGraph -> core GraphData / Graph
// (inverse of writers/bundle_graph.h).
#pragma once

#include <string>

#include "core/error.h"
#include "core/graph.h"
#include "writers/bundle.pb.h"

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

}  // namespace hfb
