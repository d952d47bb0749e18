// load_checkpoint: the one entry point from an HF checkpoint directory to a checked core::Model.
#include "models/load_checkpoint.h"

#include <filesystem>
#include <system_error>

#include "models/gemma4/gemma4_config.h"
#include "models/gemma4/gemma4_tensors.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;

/// The directory holding config.json: `path` itself, or the folder of a .safetensors / index file.
Result<fs::path> checkpoint_dir(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return Error(ErrorCode::kNotFound, "checkpoint directory not found").with_path(path);
  }
  if (fs::is_directory(status)) return fs::path(path);
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

}  // namespace

Result<Model> load_checkpoint(const std::string& dir, const CheckpointLoadOptions& options) {
  HFB_TRY(fs::path base, checkpoint_dir(dir));
  const std::string config_path =
      options.config_path.empty() ? (base / kConfigFileName).string() : options.config_path;
  Model model;
  model.source = dir;
  HFB_TRY(model.config, read_gemma4_config(config_path, &model.diagnostics));
  std::string generation_path = options.generation_config_path;
  if (generation_path.empty()) {
    std::error_code ec;
    const fs::path candidate = base / kGenerationConfigFileName;
    if (fs::exists(candidate, ec)) generation_path = candidate.string();
  }
  if (!generation_path.empty()) HFB_TRY(read_generation_config(generation_path, &model.config.generation));
  HFB_TRY(model.tensors, read_safetensors_checkpoint(dir, options.limits));
  TensorCheckOptions check;
  check.config_name = fs::path(config_path).filename().string();
  check.checkpoint = dir;
  HFB_TRY(assign_gemma4_roles(model.config, &model.tensors, &model.diagnostics, check));
  return model;
}

}  // namespace hfb
