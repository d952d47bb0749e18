// A GGUF model (+ mmproj) -> core::Model, through the family registry (the family whose GGUFs carry the file's
// general.architecture maps names, shapes and config back to Hugging Face's).
#pragma once

#include <string>

#include "core/error.h"
#include "core/model.h"
#include "readers/gguf.h"

namespace hfb {

struct GgufLoadOptions {
  std::string mmproj_path;  ///< `--mmproj`: the multimodal projector GGUF (general.architecture `clip`); "": none
  std::string config_path;  ///< `--config`: a Hugging Face config.json for the fields GGUF has no keys for
  GgufLimits limits;
};

/// Maps `path` (and the mmproj) and opens it as the Model a checkpoint directory gives: config, tensors under
/// Hugging Face names and shapes (views into the mapped files where the bytes are unchanged; q4_0 / q8_0 kept
/// encoded), roles checked. Fails like read_gguf for either file (kInvalidFile / kUnsupported / kLimit naming it),
/// kUnsupported naming general.architecture when no family imports it (or the mmproj is not `clip`), like
/// read_model_config for `--config`, and like the family's import_gguf.
Result<Model> load_gguf_model(const std::string& path, const GgufLoadOptions& options = {});

}  // namespace hfb
