// Gemma 4's entry in the model-family registry (models/model_family.h): model_type "gemma4_text" / "gemma4".
#pragma once

#include "models/model_family.h"

namespace hfb {

/// The Gemma 4 family: parse_gemma4_config, assign_gemma4_roles and the gemma4 graph builders.
const ModelFamily& gemma4_family();

}  // namespace hfb
