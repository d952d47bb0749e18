// The library call `hfbundle convert` runs: checkpoint -> passes -> chunk plan -> bundle (or a dry-run plan).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/role.h"
#include "passes/pass_pipeline.h"

namespace hfb {

struct ConvertOptions {
  std::string source;          ///< checkpoint directory
  std::string out;             ///< bundle directory (or zip file with `zip`)
  PassOptions passes;          ///< --pass / --no-pass / --chunks
  bool dry_run = false;        ///< plan only: nothing is written
  bool force = false;          ///< replace an existing OUT
  bool zip = false;            ///< one stored-entry zip instead of a directory
  int zstd_level = 0;          ///< 0: raw data files; 1..22: zstd per data file
  std::string quant = "none";  ///< only "none" (float as in the checkpoint) so far
};

/// One data file of the written bundle and what went into it.
struct ConvertFileSummary {
  std::string name;            ///< "chunk_01.bin", "embedding.bin", ...
  std::string chunk;           ///< chunk name the file belongs to ("" for shared files)
  size_t tensors = 0;
  uint64_t bytes = 0;          ///< tensor bytes (before alignment padding / compression)
};

struct ConvertResult {
  PassPipelineResult pipeline;
  bool written = false;        ///< false for --dry-run
  std::string out;             ///< the published bundle path
  size_t tensors_written = 0;
  uint64_t tensor_bytes = 0;
  std::vector<ConvertFileSummary> files;
  /// Pass report, chunk plan, projected size and (unless dry-run) the files written; readable text.
  std::string to_string() const;
  /// The same as one JSON object (for --json).
  std::string to_json() const;
};

/// The data file a tensor of `role` goes to within chunk number `chunk_index`: "embedding.bin" (token
/// embedding), "ple.bin" (PLE table), "head.bin" (untied head), else "chunk_NN.bin".
std::string convert_file_for(Role role, int chunk_index);

/// Loads `options.source`, builds the text op graph, runs the pass pipeline and, unless dry_run, writes
/// every tensor left in the table into the file of its chunk-plan piece, with the manifest (config, chunk
/// plan, pass report) and copies of config.json / generation_config.json. Fails with kInvalidArgument for
/// bad options (an unknown --quant, an existing OUT without force), like load_checkpoint for the source, like
/// run_pass_pipeline for the passes and like BundleWriter for the output (which then leaves no OUT and
/// no temp directory).
Result<ConvertResult> convert_checkpoint(const ConvertOptions& options);

}  // namespace hfb
