// The GGUF side of `convert --format gguf` and `export`: --mmproj-out, the policy from --quant / --tensor-type /
// --role-type, the run and its report (docs/gguf.md).
#pragma once

#include <string>

#include "cli/quant_options.h"
#include "pipeline/gguf_export.h"

namespace hfb::cli {

struct GgufCliOptions {
  GgufExportOptions exporter;
  QuantCliOptions quant;  ///< --quant f32|f16|bf16|none|q4_0|q8_0 (default none: the source's float type)
  bool json = false;
  bool quiet = false;
  bool verbose = false;
};

/// Runs `from_bundle ? export_bundle_to_gguf : convert_checkpoint_to_gguf` with progress, interrupt handling, the
/// coverage file (--coverage) and the summary / table / JSON on stdout. Returns the exit code.
int run_gguf_export(GgufCliOptions options, bool from_bundle);

}  // namespace hfb::cli
