// load_gguf_model: read the GGUF file(s) and `--config`, then hand them to the family that imports the architecture.
#include "models/load_gguf.h"

#include <optional>

#include "models/model_family.h"
#include "readers/tokenizer/gguf_tokenizer.h"

namespace hfb {
namespace {

std::string architecture_of(const GgufFile& file) {
  const gguf::Value* arch = file.find("general.architecture");
  const std::string* s = arch ? arch->string_at(0) : nullptr;
  return s ? *s : "";
}

std::string importable_architectures() {
  std::string out;
  for (const ModelFamily* family : registered_model_families()) {
    if (family->gguf_architecture == nullptr || family->import_gguf == nullptr) continue;
    out += (out.empty() ? "'" : ", '") + std::string(family->gguf_architecture) + "'";
  }
  return out;
}

}  // namespace

Result<Model> load_gguf_model(const std::string& path, const GgufLoadOptions& options) {
  HFB_TRY(GgufFile text, read_gguf(path, options.limits));
  const std::string arch = architecture_of(text);
  const ModelFamily* family = find_gguf_model_family(arch);
  if (family == nullptr) {
    std::string what = arch.empty() ? "GGUF has no general.architecture" : "GGUF general.architecture '" + arch + "'";
    what += arch == "clip" ? ": this is a multimodal projector; give the text model GGUF as MODEL and this file with "
                             "--mmproj"
                           : " is not a model hfbundle imports (" + importable_architectures() + ")";
    return Error(ErrorCode::kUnsupported, what).with_path(path);
  }
  std::optional<GgufFile> mmproj;
  if (!options.mmproj_path.empty()) {
    HFB_TRY(mmproj, read_gguf(options.mmproj_path, options.limits));
    if (architecture_of(*mmproj) != "clip") {
      return Error(ErrorCode::kUnsupported, "--mmproj: general.architecture '" + architecture_of(*mmproj) +
                                                "', expected 'clip' (a multimodal projector GGUF)")
          .with_path(options.mmproj_path);
    }
  }
  std::optional<ModelConfig> config_file;
  if (!options.config_path.empty()) {
    HFB_TRY(config_file, read_model_config(options.config_path));
  }
  GgufImportInput input;
  input.text = &text;
  input.mmproj = mmproj ? &*mmproj : nullptr;
  input.config_file = config_file ? &*config_file : nullptr;
  input.config_path = options.config_path;
  HFB_TRY(Model model, family->import_gguf(input));
  // The vocabulary is rebuilt when text is tokenized (load_text_tokenizer); say now when it cannot be.
  auto tokenizer = tokenizer::gguf_text_tokenizer(text);
  if (!tokenizer.ok()) {
    model.diagnostics.push_back(Diagnostic{Diagnostic::Severity::kWarning,
                                           "no tokenizer: " + tokenizer.error().to_string() +
                                               "; the model runs on token ids (--prompt-ids)",
                                           ""});
  }
  return model;
}

}  // namespace hfb
