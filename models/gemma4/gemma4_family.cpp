// Gemma 4 registered as a model family: its config parser, role check and graph builders behind ModelFamily.
#include "models/gemma4/gemma4_family.h"

#include "models/gemma4/gemma4_config.h"
#include "models/gemma4/gemma4_gguf_config.h"
#include "models/gemma4/gemma4_gguf_import.h"
#include "models/gemma4/gemma4_tensors.h"
#include "models/gemma4/multimodal_graph_builder.h"
#include "models/gemma4/text_graph_builder.h"

namespace hfb {

const ModelFamily& gemma4_family() {
  static const ModelFamily family{
      "gemma4",
      "Gemma 4",
      {"gemma4_text", "gemma4"},
      &parse_gemma4_config,
      &read_generation_config,
      &assign_gemma4_roles,
      &build_gemma4_text_graph,
      &build_gemma4_multimodal_graph,
      &build_gemma4_model_graph,
      gemma4_gguf::kTextArchitecture,
      &import_gemma4_gguf,
  };
  return family;
}

}  // namespace hfb
