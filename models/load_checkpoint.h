// Hugging Face checkpoint directory -> core::Model: config, generation config, tensors, roles, checks.
#pragma once

#include <string>

#include "core/error.h"
#include "core/model.h"
#include "readers/safetensors.h"

namespace hfb {

inline constexpr const char* kConfigFileName = "config.json";
inline constexpr const char* kGenerationConfigFileName = "generation_config.json";

struct CheckpointLoadOptions {
  /// Config file to use; empty: `<dir>/config.json`. (The fixtures also ship config.release_format.json.)
  std::string config_path;
  /// Generation config; empty: `<dir>/generation_config.json` if it exists, else ids from the config.
  std::string generation_config_path;
  SafetensorsLimits limits;
};

/// Loads a checkpoint directory of a registered model family (models/model_family.h; today Gemma 4) (`dir` may also name its .safetensors or index file, or be a Hugging
/// Face hub-cache repo folder `models--org--name`, resolved by readers/hub_cache.h; Model::source_repo and
/// source_revision then name it, and an info diagnostic says which revision was used): parses the
/// config (both HF formats) and generation config, reads every tensor (mmapped, no copy), assigns each its
/// role/tower/layer and checks the table against the config (the family's assign_roles). Non-fatal findings
/// (missing clip bounds, a forced full last layer) go to Model::diagnostics.
/// Fails with kNotFound for a missing directory, config or tensor; kInvalidFile for a malformed config,
/// safetensors file, unknown tensor or wrong shape; kUnsupported for a model_type no family reads or a feature the family does not model;
/// kLimit / kIo as the safetensors reader does; like resolve_checkpoint_location for a hub cache. Every error names the file (and tensor, key) concerned.
Result<Model> load_checkpoint(const std::string& dir, const CheckpointLoadOptions& options = {});

}  // namespace hfb
