// Provenance of a converted bundle: the source repo id and revision, every input file with its size and hash, the
// hfbundle version and the exact command line (manifest Source fields 4..8), plus the model card and licence files
// carried into the bundle. See docs/formats/bundle.md ("Source").
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"

namespace hfb {

class BundleWriter;

/// One input file: name relative to the checkpoint directory, size and a hash labelled with its kind:
/// "sha256:<hex>" when the file is a Hugging Face hub blob (the blob's name is the sha256 of its bytes),
/// "xxh3-64:<hex>" of the whole file up to 256 MiB, "xxh3-64-first-256MiB:<hex>" beyond (bounded convert time).
struct ProvenanceInput {
  std::string name;
  uint64_t size = 0;
  std::string hash;
};

/// The inputs of `model` read from `dir`: config.json, generation_config.json, the index and every shard.
/// Fails with kIo naming a file that cannot be read.
Result<std::vector<ProvenanceInput>> provenance_inputs(const Model& model, const std::string& dir);

/// Files carried into the bundle besides the configs: README.md (the model card), LICENSE*, NOTICE*, USE_POLICY*
/// and any *terms* file (Gemma terms of use), as found in `dir` (names only, sorted).
std::vector<std::string> carried_files(const std::string& dir);

/// Fills manifest().source's provenance fields (repo id, revision, inputs, version, command line).
Status record_provenance(const Model& model, const std::string& dir, const std::string& command_line,
                         BundleWriter* writer);

}  // namespace hfb
