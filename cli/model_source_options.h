// `--mmproj FILE` and `--config FILE` of the commands that take a GGUF model (inspect, run, verify, convert).
#pragma once

#include <CLI/CLI.hpp>

#include "pipeline/model_source.h"

namespace hfb::cli {

/// Adds --mmproj and --config (for a GGUF MODEL) to `sub`, filling `options`. `with_config`: false where the
/// command already has a --config of its own (inspect's, which then serves both).
inline void add_model_source_options(CLI::App* sub, ModelSourceOptions* options, bool with_config = true) {
  sub->add_option("--mmproj", options->mmproj_path, "GGUF model: its multimodal projector (mmproj) GGUF");
  if (with_config) {
    sub->add_option("--config", options->config_path,
                    "GGUF model: the Hugging Face config.json, for what GGUF has no keys for (audio chunking, "
                    "placeholder ids)");
  }
}

}  // namespace hfb::cli
