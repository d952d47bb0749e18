// Running a bundle on its own (issue 8): `run`/`verify` on a bundle directory or zip, no source checkpoint.
// Text-only models execute the op graph stored in the manifest as its chunk subgraphs in sequence;
// multimodal models rebuild their graphs from the stored config and tensor table (docs/formats/bundle.md,
// "Running a bundle").
#pragma once

#include <string>

#include "core/error.h"
#include "core/model.h"
#include "readers/bundle/bundle_reader.h"
#include "validators/parity_session.h"

namespace hfb {

/// True when `path` names a bundle: a directory holding manifest.pb, or a regular file that starts with a
/// zip local-file signature. Never fails (unreadable paths are "not a bundle").
bool is_bundle_path(const std::string& path);

/// The stored config and every tensor as a checkpoint-style Model (source = the bundle path), for graph
/// builders: plain tensors are complete records; scheme tensors carry name, source dtype, shape, role,
/// tower and layer (their bytes are not a plain tensor: read them through BundleWeightStore).
Model bundle_model(const Bundle& bundle);

/// Opens the bundle (Bundle::open with `options`) and builds the reference runtime over its weights: a
/// text-only model runs Manifest.text_graph as its chunk subgraphs in sequence (bundle_chunk_graphs,
/// make_chunked_session); a model with an audio or vision
/// tower runs make_multimodal_session over bundle_model(). Plain float weights are widened to float32,
/// scheme weights stay encoded. eos/bos/reserved ids come from the stored generation config. Fails like
/// Bundle::open, bundle_text_graph (kNotFound for a bundle written before format 1.1), BundleWeightStore::create
/// and the session constructors, with "while opening bundle PATH" context.
Result<ModelSession> open_bundle_session(const std::string& path, const BundleReadOptions& options = {});

}  // namespace hfb
