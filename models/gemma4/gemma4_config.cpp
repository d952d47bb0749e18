// config.json / generation_config.json front end: model_type and architecture, sub-configs, token ids.
#include "models/gemma4/gemma4_config.h"

#include "core/limits.h"

#include "core/byte_source.h"
#include "models/gemma4/gemma4_config_internal.h"
#include "readers/safetensors_json.h"

namespace hfb {
namespace {

using gemma4_config_detail::ConfigView;
using nlohmann::json;

constexpr const char* kCausalLm = "Gemma4ForCausalLM";
constexpr const char* kConditionalGeneration = "Gemma4ForConditionalGeneration";

// HF Gemma4Config defaults for the multimodal placeholder ids.
constexpr int kDefaultImageTokenId = 258880;
constexpr int kDefaultVideoTokenId = 258884;
constexpr int kDefaultAudioTokenId = 258881;

Result<std::string> read_config_file(const std::string& path) {
  return read_small_file(path, limits().max_config_bytes, "config_bytes");
}

/// model_type + architectures -> the architecture name; kUnsupported for anything but Gemma 4.
Result<std::string> resolve_architecture(const ConfigView& root, std::string* model_type) {
  HFB_TRY(*model_type, root.get_string("model_type"));
  std::string expected;
  if (*model_type == "gemma4_text") {
    expected = kCausalLm;
  } else if (*model_type == "gemma4") {
    expected = kConditionalGeneration;
  } else {
    return root.unsupported("model_type", "'" + *model_type +
                                              "' is not supported (hfbundle reads Gemma 4 checkpoints: model_type "
                                              "'gemma4_text' or 'gemma4')");
  }
  const json* archs = root.find("architectures");
  if (!archs) return expected;
  if (!archs->is_array() || archs->empty() || !(*archs)[0].is_string()) {
    return root.invalid("architectures", "expected a non-empty list of strings, got " +
                                             gemma4_config_detail::json_kind(*archs));
  }
  const std::string arch = (*archs)[0].get<std::string>();
  if (arch != kCausalLm && arch != kConditionalGeneration) {
    return root.unsupported("architectures", "'" + arch + "' is not supported (hfbundle reads " + kCausalLm +
                                                 " and " + kConditionalGeneration + ")");
  }
  if (arch != expected) {
    return root.unsupported("architectures", "'" + arch + "' does not match model_type '" + *model_type +
                                                 "' (which is " + expected + ")");
  }
  return arch;
}

Status check_sub_model_type(const ConfigView& view, const char* expected) {
  HFB_TRY(std::string type, view.get_string("model_type", std::string(expected)));
  if (type != expected) {
    return view.unsupported("model_type", "'" + type + "' is not supported here (expected '" + expected + "')");
  }
  return ok_status();
}

/// A placeholder id: HF default when absent, -1 (none) when explicitly null.
Result<int> token_id(const ConfigView& root, const std::string& key, int fallback) {
  if (root.is_null(key)) return -1;
  return root.get_int(key, fallback);
}

Status parse_multimodal(const ConfigView& root, ModelConfig* config, std::vector<Diagnostic>* diagnostics) {
  HFB_TRY(std::optional<ConfigView> text, root.get_object("text_config"));
  if (!text) return root.invalid("text_config", "missing (required for model_type 'gemma4')");
  HFB_TRY(check_sub_model_type(*text, "gemma4_text"));
  HFB_TRY(gemma4_config_detail::parse_text_config(*text, &config->text, diagnostics));
  if (!text->has("tie_word_embeddings")) {
    HFB_TRY(config->text.tie_word_embeddings, root.get_bool("tie_word_embeddings", true));
  }
  HFB_TRY(std::optional<ConfigView> audio, root.get_object("audio_config"));
  if (audio) {
    HFB_TRY(check_sub_model_type(*audio, "gemma4_audio"));
    HFB_TRY(config->audio, gemma4_config_detail::parse_audio_config(*audio));
  }
  HFB_TRY(std::optional<ConfigView> vision, root.get_object("vision_config"));
  if (vision) {
    HFB_TRY(check_sub_model_type(*vision, "gemma4_vision"));
    HFB_TRY(config->vision, gemma4_config_detail::parse_vision_config(*vision));
  }
  HFB_TRY(config->image_token_id, token_id(root, "image_token_id", kDefaultImageTokenId));
  HFB_TRY(config->video_token_id, token_id(root, "video_token_id", kDefaultVideoTokenId));
  HFB_TRY(config->audio_token_id, token_id(root, "audio_token_id", kDefaultAudioTokenId));
  return ok_status();
}

/// bos/eos/pad as the model config states them (HF GenerationConfig.from_model_config): the text config's
/// values, else the root's, else the Gemma defaults.
Status parse_generation_defaults(const ConfigView& root, const ConfigView& text, GenerationConfig* generation) {
  for (const ConfigView* view : {&root, &text}) {
    HFB_TRY(generation->bos_token_id, view->get_int("bos_token_id", generation->bos_token_id));
    HFB_TRY(generation->eos_token_ids, view->get_int_list("eos_token_id", generation->eos_token_ids));
    HFB_TRY(generation->pad_token_id, view->get_int("pad_token_id", generation->pad_token_id));
  }
  return ok_status();
}

}  // namespace

Result<ModelConfig> parse_gemma4_config(std::string_view json_text, const std::string& path,
                                        std::vector<Diagnostic>* diagnostics) {
  HFB_TRY(safetensors_json::JsonDocument doc, safetensors_json::parse_json_document(json_text, path, 0, 1, "config"));
  const ConfigView root(doc.root, path, "");
  ModelConfig config;
  HFB_TRY(config.architecture, resolve_architecture(root, &config.model_type));
  std::optional<ConfigView> text_view;
  if (config.model_type == "gemma4_text") {
    HFB_TRY(gemma4_config_detail::parse_text_config(root, &config.text, diagnostics));
    text_view = root;
  } else {
    HFB_TRY(parse_multimodal(root, &config, diagnostics));
    HFB_TRY(text_view, root.get_object("text_config"));
  }
  HFB_TRY(parse_generation_defaults(root, *text_view, &config.generation));
  return config;
}

Result<ModelConfig> read_gemma4_config(const std::string& path, std::vector<Diagnostic>* diagnostics) {
  HFB_TRY(std::string text, read_config_file(path));
  return parse_gemma4_config(text, path, diagnostics);
}

Status parse_generation_config(std::string_view json_text, const std::string& path, GenerationConfig* generation) {
  HFB_TRY(safetensors_json::JsonDocument doc,
          safetensors_json::parse_json_document(json_text, path, 0, 1, "generation config"));
  const ConfigView root(doc.root, path, "");
  HFB_TRY(generation->bos_token_id, root.get_int("bos_token_id", generation->bos_token_id));
  HFB_TRY(generation->eos_token_ids, root.get_int_list("eos_token_id", generation->eos_token_ids));
  HFB_TRY(generation->pad_token_id, root.get_int("pad_token_id", generation->pad_token_id));
  return ok_status();
}

Status read_generation_config(const std::string& path, GenerationConfig* generation) {
  HFB_TRY(std::string text, read_config_file(path));
  return parse_generation_config(text, path, generation);
}

}  // namespace hfb
