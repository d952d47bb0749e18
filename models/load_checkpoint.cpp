// load_checkpoint: the one entry point from an HF checkpoint directory to a checked core::Model.
#include "models/load_checkpoint.h"

#include <filesystem>
#include <system_error>

#include "models/model_family.h"
#include "readers/hub_cache.h"
#include "readers/input_kind.h"

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

Result<Model> load_checkpoint(const std::string& path, const CheckpointLoadOptions& options) {
  HFB_TRY(CheckpointLocation location, resolve_checkpoint_location(path));
  const std::string& dir = location.dir;
  HFB_TRY(check_checkpoint_input(dir));  // GGUF, pickle, LFS pointer...: say what it is and what to do
  HFB_TRY(fs::path base, checkpoint_dir(dir));
  const std::string config_path =
      options.config_path.empty() ? (base / kConfigFileName).string() : options.config_path;
  Model model;
  model.source = dir;
  model.source_repo = location.repo_id;
  model.source_revision = location.revision;
  if (!location.repo_id.empty()) {
    model.diagnostics.push_back(Diagnostic{Diagnostic::Severity::kInfo,
                                           "Hugging Face hub cache: " + location.repo_id + "@" + location.revision +
                                               " (revision from " + location.revision_from + ")",
                                           ""});
  }
  HFB_TRY(model.config, read_model_config(config_path, &model.diagnostics));  // dispatch on model_type
  HFB_TRY(const ModelFamily* family, model_family_for(model.config));
  std::string generation_path = options.generation_config_path;
  if (generation_path.empty()) {
    std::error_code ec;
    const fs::path candidate = base / kGenerationConfigFileName;
    if (fs::exists(candidate, ec)) generation_path = candidate.string();
  }
  if (!generation_path.empty()) HFB_TRY(family->read_generation_config(generation_path, &model.config.generation));
  HFB_TRY(model.tensors, read_safetensors_checkpoint(dir, options.limits));
  TensorCheckOptions check;
  check.config_name = fs::path(config_path).filename().string();
  check.checkpoint = dir;
  HFB_TRY(family->assign_roles(model.config, &model.tensors, &model.diagnostics, check));
  return model;
}

}  // namespace hfb
