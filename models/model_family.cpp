// The model-family registry: an explicit list of families and the dispatch on config.json's model_type.
#include "models/model_family.h"

#include <algorithm>
#include <utility>

#include "core/byte_source.h"
#include "core/limits.h"
#include "models/gemma4/gemma4_family.h"
#include "readers/safetensors_json.h"

namespace hfb {
namespace {

/// "Gemma 4 (model_type 'gemma4_text' or 'gemma4')" for every family, joined with "; ".
std::string known_families() {
  std::string out;
  for (const ModelFamily* family : registered_model_families()) {
    if (!out.empty()) out += "; ";
    out += std::string(family->display_name) + " (model_type ";
    for (size_t i = 0; i < family->model_types.size(); ++i) {
      if (i > 0) out += i + 1 == family->model_types.size() ? " or " : ", ";
      out += "'" + family->model_types[i] + "'";
    }
    out += ")";
  }
  return out;
}

Error unknown_model_type(const std::string& model_type, const std::string& path) {
  Error error(ErrorCode::kUnsupported,
              "key 'model_type': '" + model_type + "' is not supported (hfbundle reads " + known_families() + ")");
  if (path.empty()) return error;
  return std::move(error).with_path(path);
}

/// The root's model_type, which picks the family. Fails with kInvalidFile when it is missing or not a string.
Result<std::string> config_model_type(std::string_view json_text, const std::string& path) {
  HFB_TRY(safetensors_json::JsonDocument doc, safetensors_json::parse_json_document(json_text, path, 0, 1, "config"));
  auto it = doc.root.find("model_type");
  if (it == doc.root.end() || it->is_null()) {
    return Error(ErrorCode::kInvalidFile, "key 'model_type': missing (required)").with_path(path);
  }
  if (!it->is_string()) {
    return Error(ErrorCode::kInvalidFile,
                 "key 'model_type': expected a string, got " + safetensors_json::json_type_name(*it))
        .with_path(path);
  }
  return it->get<std::string>();
}

}  // namespace

bool ModelFamily::accepts(std::string_view model_type) const {
  return std::find(model_types.begin(), model_types.end(), model_type) != model_types.end();
}

const std::vector<const ModelFamily*>& registered_model_families() {
  static const std::vector<const ModelFamily*> families{&gemma4_family()};
  return families;
}

const ModelFamily* find_model_family(std::string_view model_type) {
  for (const ModelFamily* family : registered_model_families()) {
    if (family->accepts(model_type)) return family;
  }
  return nullptr;
}

const ModelFamily* find_gguf_model_family(std::string_view architecture) {
  for (const ModelFamily* family : registered_model_families()) {
    if (family->gguf_architecture != nullptr && family->import_gguf != nullptr && architecture == family->gguf_architecture) {
      return family;
    }
  }
  return nullptr;
}

Result<const ModelFamily*> model_family_for(const ModelConfig& config) {
  const ModelFamily* family = find_model_family(config.model_type);
  if (family == nullptr) return unknown_model_type(config.model_type, "");
  return family;
}

Result<const GgufExportTables*> gguf_export_tables_for(const ModelConfig& config) {
  HFB_TRY(const ModelFamily* family, model_family_for(config));
  if (family->gguf_export == nullptr) {
    return Error(ErrorCode::kUnsupported, std::string(family->display_name) + " models (model_type '" +
                                              config.model_type + "') have no GGUF export");
  }
  return family->gguf_export;
}

Result<ModelConfig> read_model_config(const std::string& path, std::vector<Diagnostic>* diagnostics) {
  HFB_TRY(std::string text, read_small_file(path, limits().max_config_bytes, "config_bytes"));
  HFB_TRY(std::string model_type, config_model_type(text, path));
  const ModelFamily* family = find_model_family(model_type);
  if (family == nullptr) return unknown_model_type(model_type, path);
  return family->parse_config(text, path, diagnostics);
}

Result<Graph> build_text_graph(const ModelConfig& config, const TensorTable& tensors) {
  HFB_TRY(const ModelFamily* family, model_family_for(config));
  return family->build_text_graph(config, tensors);
}

Result<Graph> build_graph(const ModelConfig& config, const TensorTable& tensors, const MediaDims& media,
                          const MultimodalGraphOptions& options) {
  HFB_TRY(const ModelFamily* family, model_family_for(config));
  return family->build_graph(config, tensors, media, options);
}

Result<Graph> build_model_graph(const ModelConfig& config, const TensorTable& tensors,
                                const MultimodalGraphOptions& options) {
  HFB_TRY(const ModelFamily* family, model_family_for(config));
  return family->build_model_graph(config, tensors, options);
}

}  // namespace hfb
