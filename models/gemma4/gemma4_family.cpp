// Gemma 4 registered as a model family: its config parser, role check and graph builders behind ModelFamily.
#include "models/gemma4/gemma4_family.h"

#include "models/gemma4/gemma4_config.h"
#include "models/gemma4/gemma4_gguf_config.h"
#include "models/gemma4/gemma4_gguf_import.h"
#include "models/gemma4/gemma4_gguf_names.h"
#include "models/gemma4/gemma4_tensors.h"
#include "models/gemma4/multimodal_graph_builder.h"
#include "models/gemma4/text_graph_builder.h"

namespace hfb {
namespace {

std::optional<std::string> llamacpp_problem(const ModelConfig& config) {
  return gemma4_gguf::llamacpp_kv_sharing_problem(config.text);
}

const GgufExportTables kGgufExport{
    &gemma4_gguf::gguf_name_for, &gemma4_gguf::text_metadata, &gemma4_gguf::rope_freqs,
    &gemma4_gguf::mmproj_metadata, &llamacpp_problem,
};

}  // namespace

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
      &kGgufExport,
  };
  return family;
}

}  // namespace hfb
