// Hugging Face checkpoint directory -> core::Model: config, generation config, tensors, roles, checks.
#pragma once

#include <string>

#include "core/error.h"
#include "core/model.h"
#include "readers/safetensors.h"

namespace hfb {

struct CheckpointLoadOptions {
  /// Config file to use; empty: `<dir>/config.json`. (The fixtures also ship config.release_format.json.)
  std::string config_path;
  /// Generation config; empty: `<dir>/generation_config.json` if it exists, else ids from the config.
  std::string generation_config_path;
  SafetensorsLimits limits;
};

/// Loads a Gemma 4 checkpoint directory (`dir` may also name its .safetensors or index file): parses the
/// config (both HF formats) and generation config, reads every tensor (mmapped, no copy), assigns each its
/// role/tower/layer and checks the table against the config (readers/gemma4_tensors.h). Non-fatal findings
/// (missing clip bounds, a forced full last layer) go to Model::diagnostics.
/// Fails with kNotFound for a missing directory, config or tensor; kInvalidFile for a malformed config,
/// safetensors file, unknown tensor or wrong shape; kUnsupported for a non-Gemma-4 model or feature;
/// kLimit / kIo as the safetensors reader does. Every error names the file (and tensor, key) concerned.
Result<Model> load_checkpoint(const std::string& dir, const CheckpointLoadOptions& options = {});

}  // namespace hfb
