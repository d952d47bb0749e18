// bundle_chunk_graphs: the manifest's per-chunk node lists -> a node placement -> core split_graph,
// checked against text_graph and against the stored boundary lists.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "formats/bundle_format.h"
#include "readers/bundle/bundle_graph.h"
#include "readers/bundle/bundle_reader.h"

namespace hfb {
namespace {

Error chunk_error(const std::string& path, const std::string& chunk, const std::string& message) {
  return Error(ErrorCode::kInvalidFile, "manifest chunk " + chunk + ": " + message).with_path(path);
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return "[" + out + "]";
}

/// A stored boundary list (1.2) must equal the derived one; absent (1.1) lists are derived only.
Status check_list(const google::protobuf::RepeatedPtrField<std::string>& stored,
                  const std::vector<std::string>& derived, const char* what, const std::string& path,
                  const std::string& chunk) {
  if (stored.empty()) return ok_status();
  std::vector<std::string> got(stored.begin(), stored.end());
  if (got == derived) return ok_status();
  return chunk_error(path, chunk, std::string("stored ") + what + " " + join(got) + " differ from the " +
                                      join(derived) + " its nodes imply");
}

/// chunk index per text_graph node, from the chunks' node lists (each checked against text_graph).
Result<std::vector<int>> place_from_manifest(const bundle::Manifest& manifest, const std::string& path) {
  const bundle::OpGraph& whole = manifest.text_graph();
  std::map<std::string, int> index;
  for (int i = 0; i < whole.nodes_size(); ++i) index[whole.nodes(i).name()] = i;
  std::vector<int> placement(static_cast<size_t>(whole.nodes_size()), -1);
  for (int c = 0; c < manifest.chunks_size(); ++c) {
    const bundle::Chunk& chunk = manifest.chunks(c);
    for (const bundle::Node& node : chunk.graph().nodes()) {
      auto it = index.find(node.name());
      if (it == index.end()) return chunk_error(path, chunk.name(), "node '" + node.name() + "' is not in text_graph");
      if (placement[it->second] >= 0) {
        return chunk_error(path, chunk.name(), "node '" + node.name() + "' is also listed in chunk " +
                                                   manifest.chunks(placement[it->second]).name());
      }
      if (node.SerializeAsString() != whole.nodes(it->second).SerializeAsString()) {
        return chunk_error(path, chunk.name(), "node '" + node.name() + "' differs from text_graph's");
      }
      placement[it->second] = c;
    }
  }
  for (size_t i = 0; i < placement.size(); ++i) {
    if (placement[i] < 0) {
      return Error(ErrorCode::kInvalidFile, "manifest: text_graph node '" + whole.nodes(static_cast<int>(i)).name() +
                                                "' is in no chunk's node list")
          .with_path(path);
    }
  }
  return placement;
}

bool any_chunk_lists_nodes(const bundle::Manifest& manifest) {
  for (const bundle::Chunk& chunk : manifest.chunks()) {
    if (chunk.graph().nodes_size() > 0) return true;
  }
  return false;
}

}  // namespace

Result<std::vector<ChunkGraph>> bundle_chunk_graphs(const Bundle& bundle, const Graph& text_graph) {
  const std::string path = bundle.path() + (bundle.is_zip() ? ":" : "/") + kBundleManifestName;
  const bundle::Manifest& manifest = bundle.manifest();
  if (!any_chunk_lists_nodes(manifest)) {
    std::vector<int> all(text_graph.nodes().size(), 0);
    return split_graph(text_graph, all, {"all"});
  }
  if (static_cast<size_t>(manifest.text_graph().nodes_size()) != text_graph.nodes().size()) {
    return Error(ErrorCode::kInvalidArgument, "bundle_chunk_graphs: graph is not the bundle's text_graph").with_path(path);
  }
  HFB_TRY(std::vector<int> placement, place_from_manifest(manifest, path));
  std::vector<std::string> names;
  for (const bundle::Chunk& chunk : manifest.chunks()) names.push_back(chunk.name());
  auto chunks = split_graph(text_graph, placement, names);
  if (!chunks.ok()) {
    Error error = std::move(chunks).error();
    error.code = ErrorCode::kInvalidFile;
    error.message = "manifest chunks: " + error.message;
    return std::move(error).with_path(path);
  }
  for (int c = 0; c < manifest.chunks_size(); ++c) {
    const bundle::Graph& stored = manifest.chunks(c).graph();
    const ChunkGraph& derived = (*chunks)[static_cast<size_t>(c)];
    HFB_TRY(check_list(stored.inputs(), derived.inputs, "inputs", path, derived.chunk));
    HFB_TRY(check_list(stored.outputs(), derived.outputs, "outputs", path, derived.chunk));
    HFB_TRY(check_list(stored.imported_states(), derived.imported_states, "imported states", path, derived.chunk));
  }
  return chunks;
}

}  // namespace hfb
