// One library call for `convert`: resolve --pass/--no-pass, parse --chunks, run the passes, and
// summarise (reports, chunk plan, projected output size) for --dry-run.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "core/model.h"
#include "passes/pass.h"

namespace hfb {

struct PassOptions {
  std::vector<std::string> enable;   ///< --pass NAME (repeatable)
  std::vector<std::string> disable;  ///< --no-pass NAME (repeatable)
  std::string chunks = "auto";       ///< --chunks auto|N|RANGES
};

struct PassPipelineResult {
  std::vector<PassReport> reports;
  std::optional<ChunkPlan> chunk_plan;  ///< set when chunk-plan ran
  uint64_t bytes_saved = 0;             ///< over all reports
  uint64_t projected_bytes = 0;         ///< bytes of the used tensors left to write
  /// The pass reports, the chunk plan and the projected size, as `convert --dry-run` prints them.
  std::string to_string() const;
};

/// Resolves the options, then runs the passes over `model` (and `graph` when not null).
/// Fails with kInvalidArgument / kUnsupported for bad options (before anything changes) and with
/// the first failing pass's error otherwise.
Result<PassPipelineResult> run_pass_pipeline(Model& model, Graph* graph, const PassOptions& options);

}  // namespace hfb
