// Running a bundle on its own (issue 8): `run`/`verify` on a bundle directory or zip, no source checkpoint.
// The op graph stored in the manifest runs as its chunk subgraphs in sequence; no model-family code is
// involved (docs/formats/bundle.md, "Running a bundle").
#pragma once

#include <string>

#include "core/error.h"
#include "core/model.h"
#include "pipeline/open_model.h"
#include "readers/bundle/bundle_reader.h"

namespace hfb {

/// True when `path` names a bundle: a directory holding manifest.pb, or a regular file that starts with a
/// zip local-file signature. Never fails (unreadable paths are "not a bundle").
bool is_bundle_path(const std::string& path);

/// Opens the bundle (Bundle::open with `options`) and builds the reference runtime over its weights from
/// nothing but the manifest: the stored graph (Manifest.text_graph: the text decoder and, for a multimodal
/// model, its towers built at placeholder media sizes) split into the chunk subgraphs the manifest's
/// per-chunk node lists define (bundle_chunk_graphs) and run one after another (make_chunked_session; tower
/// dims re-inferred from each prompt's media). Plain float weights are widened to float32, scheme weights
/// stay encoded. eos/bos/reserved ids come from the stored generation config; `chunks` lists the chunks run.
/// Fails like Bundle::open, bundle_text_graph (kNotFound for a bundle written before format 1.1),
/// bundle_chunk_graphs, BundleWeightStore::create and make_chunked_session, with "while opening bundle PATH"
/// context.
Result<ModelSession> open_bundle_session(const std::string& path, const BundleReadOptions& options = {});

}  // namespace hfb
