// open_bundle_session: Bundle::open -> BundleWeightStore -> the stored graph split into its chunk subgraphs
// -> chunked Session (towers respecialized per prompt's media sizes).
#include "pipeline/bundle_session.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "formats/bundle_format.h"
#include "pipeline/bundle_weight_store.h"
#include "readers/bundle/bundle_graph.h"
#include "readers/input_kind.h"
#include "runtime/chunk_sequence.h"

namespace hfb {
namespace {

bool starts_with_zip_signature(const std::string& path) {
  if (!is_regular_file(path)) return false;  // never open a FIFO here: Bundle::open refuses it
  auto file = MmapFile::open(path);
  if (!file.ok() || (*file)->size() < 4) return false;
  auto magic = (*file)->read(0, 4);
  return magic.ok() && std::memcmp(magic->data, "PK\x03\x04", 4) == 0;
}

/// What a bundle holds in anonymous memory instead of mapping it (zstd data files; the entries of a zip laid out
/// so that they cannot be mapped); "" if nothing.
std::string in_memory_note(const Bundle& bundle) {
  if (!bundle.files_mapped()) return "zip: entries read into memory at load (their layout cannot be mapped)";
  uint64_t bytes = 0;
  int files = 0;
  for (const bundle::File& f : bundle.manifest().files()) {
    if (f.compression() != bundle::COMPRESSION_ZSTD) continue;
    ++files;
    bytes += f.raw_size();
  }
  if (files == 0) return "";
  char note[128];
  std::snprintf(note, sizeof note, "zstd: %d data files (%.2f GB) decompressed into memory at load", files,
                static_cast<double>(bytes) / 1e9);
  return note;
}

Result<ModelSession> open_bundle_session_unwrapped(const std::string& path, const BundleReadOptions& options) {
  HFB_TRY(std::shared_ptr<const Bundle> bundle, Bundle::open(path, options));
  const ModelConfig& config = bundle->config();
  ModelSession out;
  HFB_TRY(Graph graph, bundle_text_graph(*bundle));
  HFB_TRY(std::vector<ChunkGraph> chunks, bundle_chunk_graphs(*bundle, graph));
  for (const ChunkGraph& chunk : chunks) {
    if (!chunk.data.nodes.empty()) out.chunks.push_back(chunk.chunk);
  }
  HFB_TRY(std::unique_ptr<BundleWeightStore> store, BundleWeightStore::create(*bundle, &graph));
  HFB_TRY(out.session, make_chunked_session(graph.data(), chunk_assignment(chunks),
                                            std::shared_ptr<const WeightStore>(std::move(store)),
                                            config.text.num_hidden_layers));
  set_session_token_ids(config, &out);
  out.source = path;
  out.check_inputs = [bundle]() -> Status { return bundle->check_intact(); };
  out.load_note = in_memory_note(*bundle);
  return out;
}

}  // namespace

bool is_bundle_path(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  if (S_ISDIR(st.st_mode)) {
    struct stat manifest;
    return ::stat((path + "/" + kBundleManifestName).c_str(), &manifest) == 0 && S_ISREG(manifest.st_mode);
  }
  // A PyTorch zip checkpoint is a zip too: leave it to the checkpoint loader, which names it.
  return S_ISREG(st.st_mode) && starts_with_zip_signature(path) && describe_foreign_path(path).empty();
}

Result<ModelSession> open_bundle_session(const std::string& path, const BundleReadOptions& options) {
  auto session = open_bundle_session_unwrapped(path, options);
  if (!session.ok()) {
    Error error = std::move(session).error();
    const std::string context = "while opening bundle " + path;
    if (error.context.empty() || error.context.back() != context) error.context.push_back(context);
    return error;
  }
  return session;
}

}  // namespace hfb
