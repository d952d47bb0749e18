// store_manifest_graphs: the text graph and the per-chunk node lists (from passes/chunk_partition) into the manifest.
#include "pipeline/convert_graph.h"

#include "passes/chunk_partition.h"
#include "writers/bundle_graph.h"

namespace hfb {

Status store_manifest_graphs(const Graph& graph, const ChunkPlan* plan, bundle::Manifest* manifest) {
  graph_to_proto(graph.data(), manifest->mutable_text_graph());
  if (plan == nullptr) return ok_status();
  HFB_TRY(std::vector<ChunkGraph> parts, partition_graph(graph, *plan));
  for (const ChunkGraph& part : parts) {
    for (bundle::Chunk& chunk : *manifest->mutable_chunks()) {
      if (chunk.name() == part.chunk) chunk_graph_to_proto(part, chunk.mutable_graph());
    }
  }
  return ok_status();
}

}  // namespace hfb
