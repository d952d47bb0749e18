// The library call `hfbundle convert` runs: checkpoint -> passes -> chunk plan -> bundle (or a dry-run plan).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/role.h"
#include "passes/pass_pipeline.h"
#include "pipeline/model_source.h"
#include "pipeline/recipe.h"
#include "pipeline/calibrate.h"
#include "quant/coverage.h"
#include "quant/policy.h"

namespace hfb {

/// Where a running convert is (for a progress line). Bytes are source (checkpoint) bytes.
struct ConvertProgress {
  size_t tensor_index = 0;     ///< 0-based index of the tensor being streamed
  size_t tensor_count = 0;
  std::string tensor;
  std::string file;            ///< data file it goes to
  std::string scheme;          ///< "none" when kept as it is
  uint64_t bytes_done = 0;     ///< over all tensors so far
  uint64_t bytes_total = 0;
};

struct ConvertOptions {
  std::string source;          ///< checkpoint directory, or a GGUF
  ModelSourceOptions model_source;  ///< a GGUF's --mmproj / --config
  std::string out;             ///< bundle directory (or zip file with `zip`)
  PassOptions passes;          ///< --pass / --no-pass / --chunks
  bool dry_run = false;        ///< plan only: nothing is written
  bool force = false;          ///< replace an existing OUT
  bool zip = false;            ///< one stored-entry zip instead of a directory
  int zstd_level = 0;          ///< 0: raw data files; 1..22: zstd per data file
  /// --quant / --tensor-type / --role-type / --group-size / --block-size / --per-tensor / --min-elements.
  /// Default: global none (every tensor kept in its checkpoint dtype unless an override asks otherwise).
  QuantPolicyOptions quant;
  /// Recipe::notes_json stored with the recipe in the manifest (e.g. an automatic choice's measurements); "" none.
  std::string recipe_notes_json;
  /// --calibrate / --calibrate-ids / --imatrix / --save-imatrix: column-weighted quantization (pipeline/calibrate.h).
  CalibrationOptions calibration;
  /// The command line as run, recorded in the manifest's provenance (Source.command_line). May be empty.
  std::string command_line;
  /// Called after every streamed block (and once per tensor); never from another thread. May be empty.
  std::function<void(const ConvertProgress&)> progress;
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
  size_t tensors_written = 0;  ///< tensors streamed (also counted for --dry-run: what would be written)
  uint64_t tensor_bytes = 0;   ///< stored tensor bytes (encoded sizes, before alignment padding)
  uint64_t source_bytes = 0;   ///< checkpoint bytes of those tensors
  uint64_t output_bytes = 0;   ///< tensor bytes in the data files, 64-byte alignment padding included
  std::vector<ConvertFileSummary> files;
  /// `OUT.tmp-*` directories of killed converts (dead pid) removed before writing (writers/temp_cleanup.h).
  std::vector<std::string> removed_temp_dirs;
  /// Every tensor of the checkpoint: scheme, reason, bytes before/after, error metrics; tensors removed
  /// by passes appear with bytes_after 0 and the pass named in the reason.
  CoverageReport coverage;
  /// Pass report, chunk plan, coverage (one line per tensor, totals by role), projected or written size.
  std::string to_string() const;
  /// The default report, a few lines whatever the model's size: passes in one line, the chunk plan (a long one
  /// shortened), one line per scheme with the roles it covers, warnings, the written size, and `coverage_hint`
  /// (where the per-tensor coverage is) when not empty.
  std::string to_summary(const std::string& coverage_hint = "") const;
  /// The same as one JSON object (for --json), "coverage" as coverage_to_json renders it.
  std::string to_json() const;
};

/// The recipe a convert with these options stores in its manifest (quant, passes, notes).
Recipe convert_recipe(const ConvertOptions& options);
/// Sets options->quant, ->passes and ->recipe_notes_json from `recipe` (what `convert --recipe` does).
void apply_recipe(const Recipe& recipe, ConvertOptions* options);

/// The data file a tensor of `role` goes to within chunk number `chunk_index`: "embedding.bin" (token
/// embedding), "ple.bin" (PLE table), "head.bin" (untied head), else "chunk_NN.bin".
std::string convert_file_for(Role role, int chunk_index);

/// Loads `options.source`, builds the text op graph, runs the pass pipeline, decides every tensor's scheme
/// with QuantPolicy and streams each tensor in row blocks (quantized per block, appended to the file of its
/// chunk-plan piece, source pages released) with the manifest (config, chunk plan, pass report, coverage)
/// and copies of config.json / generation_config.json. With dry_run every tensor is still quantized (for
/// the coverage and the projected size) but nothing is written. Output bytes do not depend on the thread
/// count. Fails with kInvalidArgument for bad options (an invalid policy, an existing OUT without force),
/// like load_checkpoint for the source, like run_pass_pipeline for the passes, like QuantPolicy::decide /
/// quantize() for a tensor (named), and like BundleWriter for the output (which then leaves no OUT and no
/// temp directory).
Result<ConvertResult> convert_checkpoint(const ConvertOptions& options);

}  // namespace hfb
