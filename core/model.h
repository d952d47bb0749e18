// core::Model: what readers produce and everything downstream consumes.
#pragma once

#include <string>
#include <vector>

#include "core/model_config.h"
#include "core/tensor.h"

namespace hfb {

/// A non-fatal finding while loading (e.g. clip bounds missing for a tower whose flag is true).
struct Diagnostic {
  enum class Severity : uint8_t { kInfo, kWarning };
  Severity severity = Severity::kWarning;
  std::string message;
  std::string tensor;  ///< tensor concerned, if any
};

struct Model {
  std::string source;      ///< checkpoint directory (or bundle path) it was read from (a hub snapshot: its folder)
  std::string source_repo;      ///< "org/name" when read from a Hugging Face hub cache, else ""
  std::string source_revision;  ///< the hub snapshot's revision (commit hash), else ""
  ModelConfig config;      ///< resolved, format-independent
  TensorTable tensors;     ///< every tensor in the source, with role/tower/layer/used assigned
  std::vector<Diagnostic> diagnostics;
  /// Non-empty: why audio / image inputs are refused although the source has the tower (a GGUF import without
  /// --config: the mmproj has no keys for the audio chunking, the vocabulary may not name the placeholders).
  /// The tower is then left out of `config` and `tensors`; sessions refuse such inputs with this message.
  std::string audio_refusal;
  std::string image_refusal;
  // The op graph built from config + tensors is added by the runtime issue (core/graph.h).
};

}  // namespace hfb
