// Internal to readers/gemma4_config*.cpp: typed, error-naming access to the keys of a config.json object.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/model.h"
#include "core/model_config.h"

namespace hfb::gemma4_config_detail {

/// One JSON object of a config file, with the dotted key path that leads to it ("text_config.") and the
/// file name, so that every failure says `config.json: key 'text_config.head_dim': expected ..., got ...`.
/// A key whose value is null counts as absent (HF writes null for "use the default").
class ConfigView {
 public:
  ConfigView(const nlohmann::json& object, std::string path, std::string prefix)
      : object_(&object), path_(std::move(path)), prefix_(std::move(prefix)) {}

  const std::string& path() const { return path_; }
  std::string key_name(const std::string& key) const { return prefix_ + key; }
  /// Present and not null.
  bool has(const std::string& key) const;
  /// Present with the value null.
  bool is_null(const std::string& key) const;
  /// The raw value, nullptr when absent or null.
  const nlohmann::json* find(const std::string& key) const;

  /// Typed getters: `fallback` is used when the key is absent or null; without one the key is required.
  /// Fail with kInvalidFile naming the file and the key (wrong type, out of range, missing).
  Result<int> get_int(const std::string& key, std::optional<int> fallback = std::nullopt) const;
  /// Like get_int, and the value must be > 0.
  Result<int> get_positive_int(const std::string& key, std::optional<int> fallback = std::nullopt) const;
  Result<double> get_double(const std::string& key, std::optional<double> fallback = std::nullopt) const;
  Result<bool> get_bool(const std::string& key, std::optional<bool> fallback = std::nullopt) const;
  Result<std::string> get_string(const std::string& key,
                                 std::optional<std::string> fallback = std::nullopt) const;
  /// A nested object; nullopt when absent or null; kInvalidFile when it is not an object.
  Result<std::optional<ConfigView>> get_object(const std::string& key) const;
  /// Ints, or one int promoted to a list (HF `eos_token_id: int | list[int]`).
  Result<std::vector<int>> get_int_list(const std::string& key, std::vector<int> fallback) const;

  /// kInvalidFile: `<path>: key '<prefix><key>': <what>`.
  Error invalid(const std::string& key, const std::string& what) const;
  /// kUnsupported with the same naming.
  Error unsupported(const std::string& key, const std::string& what) const;

 private:
  const nlohmann::json* object_;
  std::string path_;
  std::string prefix_;
};

/// "string", "array", "float", ... for messages.
std::string json_kind(const nlohmann::json& value);

/// Resolves text_config (or the root of a gemma4_text config) into `text`, including the per-layer specs.
Status parse_text_config(const ConfigView& view, TextConfig* text, std::vector<Diagnostic>* diagnostics);
/// Fills the per-layer specs of `text` (scalars already parsed) from layer_types, per_layer_config or the
/// release keys, num_kv_shared_layers, use_double_wide_mlp, attention_k_eq_v and rope_parameters.
Status resolve_text_layers(const ConfigView& view, TextConfig* text, std::vector<Diagnostic>* diagnostics);
Result<AudioConfig> parse_audio_config(const ConfigView& view);
Result<VisionConfig> parse_vision_config(const ConfigView& view);

}  // namespace hfb::gemma4_config_detail
