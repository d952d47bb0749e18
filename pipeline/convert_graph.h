// What convert stores of the op graph in the manifest: the whole text graph and each chunk's nodes.
#pragma once

#include "core/error.h"
#include "core/graph.h"
#include "formats/bundle.pb.h"
#include "passes/chunk_plan.h"

namespace hfb {

/// Sets `manifest->text_graph` to `graph` (after passes) and, when `plan` is given, fills the `graph` of every
/// manifest chunk whose name is a plan chunk's with the nodes partition_graph assigns it. Call after the
/// chunks were added. Fails like partition_graph (an initializer no plan chunk owns).
Status store_manifest_graphs(const Graph& graph, const ChunkPlan* plan, bundle::Manifest* manifest);

}  // namespace hfb
