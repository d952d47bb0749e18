// Gemma 4 tensor roles: the exact tensor names a checkpoint with a given config may hold, each with its role,
// tower, layer and shape, and the check of a checkpoint's tensor table against that list.
//
// Names are generated from the config (text `model.` for Gemma4ForCausalLM, `model.language_model.` for
// Gemma4ForConditionalGeneration; `model.audio_tower.`, `model.vision_tower.`, `model.embed_audio.`,
// `model.embed_vision.`) and matched exactly: nothing is recognised by a substring. See docs/roles.md.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "core/model_config.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "models/model_family.h"  // TensorCheckOptions

namespace hfb {

/// How a checkpoint may carry an expected tensor.
enum class TensorPresence : uint8_t {
  kRequired,   ///< must be present with this shape; used by the model
  kClipBound,  ///< clip bound of a tower whose use_clipped_linears is true: used; absent means +-inf (a warning)
  kUnused,     ///< may be present (release layout, tied head, disabled clipping): recognised, never read
};

/// One tensor name a Gemma 4 checkpoint with a given config may contain.
struct ExpectedTensor {
  std::string name;
  Shape shape;
  Role role = Role::kNorm;
  Tower tower = Tower::kText;
  int layer = -1;
  TensorPresence presence = TensorPresence::kRequired;
  std::string unused_reason;  ///< for kUnused: why the model never reads it
  std::string shape_source;   ///< config keys the shape comes from ("hidden_size=64, intermediate_size=192")
};

/// Every tensor a checkpoint with `config` may contain, text first, then audio, vision, embedders.
/// `config` must come from parse_gemma4_config (its sizes positive, one spec per layer).
std::vector<ExpectedTensor> expected_gemma4_tensors(const ModelConfig& config);

/// Assigns role, tower, layer and used/unused_reason to every tensor of `tensors` and checks the table against
/// `config`: every required tensor present with the exact shape, nothing unexplained. Clip bounds missing for a
/// tower whose flag is true add one warning per tower to `diagnostics` (no clipping, as HF does).
/// Fails with kInvalidFile naming the tensor's file and the tensor for an unknown name
/// (`tensor 'x': not a tensor of Gemma4ForCausalLM with this config.json`) or a wrong shape
/// (`shape [a, b], expected [c, d] (from config.json: hidden_size=..)`), kUnsupported for a non-float dtype
/// (F32/F16/BF16 only), kNotFound naming the checkpoint and the first missing required tensor.
Status assign_gemma4_roles(const ModelConfig& config, TensorTable* tensors, std::vector<Diagnostic>* diagnostics,
                           const TensorCheckOptions& options = {});

}  // namespace hfb
