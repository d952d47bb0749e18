// A MODEL argument that is not a bundle: a checkpoint directory, or a GGUF (+ `--mmproj`, `--config`), loaded as
// the same core::Model; and the session guard that refuses media a GGUF import left out.
#pragma once

#include <memory>
#include <string>

#include "core/error.h"
#include "core/model.h"
#include "runtime/session.h"

namespace hfb {

/// What a GGUF needs beside its path (ignored for checkpoints and bundles).
struct ModelSourceOptions {
  std::string mmproj_path;  ///< `--mmproj FILE`
  std::string config_path;  ///< `--config FILE` (a Hugging Face config.json)
};

/// Whether `path` is a GGUF file (by its magic, not its name).
bool is_gguf_path(const std::string& path);

/// A GGUF (is_gguf_path) through load_gguf_model, else load_checkpoint. `--mmproj` / `--config` with a checkpoint
/// fail with kInvalidArgument (they apply to GGUF only). Fails like the loader.
Result<Model> load_model_source(const std::string& path, const ModelSourceOptions& options = {});

/// `session` unchanged when `model` refuses no media, else a session that fails prefill with kInvalidArgument and
/// Model::audio_refusal / image_refusal when a prompt brings that medium (everything else is forwarded).
std::unique_ptr<Session> refuse_unavailable_media(const Model& model, std::unique_ptr<Session> session);

}  // namespace hfb
