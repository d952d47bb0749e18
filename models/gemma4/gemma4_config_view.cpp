// ConfigView: typed access to config.json keys with messages that name the file and the dotted key.
#include <limits>

#include "models/gemma4/gemma4_config_internal.h"

namespace hfb::gemma4_config_detail {

using nlohmann::json;

std::string json_kind(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "object";
    case json::value_t::array: return "array";
    case json::value_t::string: return "string '" + value.get<std::string>() + "'";
    case json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case json::value_t::number_integer: return "integer " + std::to_string(value.get<int64_t>());
    case json::value_t::number_unsigned: return "integer " + std::to_string(value.get<uint64_t>());
    case json::value_t::number_float: return "float " + value.dump();
    default: return "a non-JSON value";
  }
}

bool ConfigView::has(const std::string& key) const { return find(key) != nullptr; }

bool ConfigView::is_null(const std::string& key) const {
  auto it = object_->find(key);
  return it != object_->end() && it->is_null();
}

const json* ConfigView::find(const std::string& key) const {
  auto it = object_->find(key);
  if (it == object_->end() || it->is_null()) return nullptr;
  return &*it;
}

Error ConfigView::invalid(const std::string& key, const std::string& what) const {
  return Error(ErrorCode::kInvalidFile, "key '" + key_name(key) + "': " + what).with_path(path_);
}

Error ConfigView::unsupported(const std::string& key, const std::string& what) const {
  return Error(ErrorCode::kUnsupported, "key '" + key_name(key) + "': " + what).with_path(path_);
}

Result<int> ConfigView::get_int(const std::string& key, std::optional<int> fallback) const {
  const json* value = find(key);
  if (!value) {
    if (fallback) return *fallback;
    return invalid(key, "missing (required)");
  }
  if (!value->is_number_integer()) return invalid(key, "expected an integer, got " + json_kind(*value));
  if (value->is_number_unsigned()) {
    if (value->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
      return invalid(key, "integer " + value->dump() + " is out of range");
    }
    return static_cast<int>(value->get<uint64_t>());
  }
  const int64_t v = value->get<int64_t>();
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    return invalid(key, "integer " + value->dump() + " is out of range");
  }
  return static_cast<int>(v);
}

Result<int> ConfigView::get_positive_int(const std::string& key, std::optional<int> fallback) const {
  HFB_TRY(int v, get_int(key, fallback));
  if (v <= 0) return invalid(key, "expected a positive integer, got " + std::to_string(v));
  return v;
}

Result<double> ConfigView::get_double(const std::string& key, std::optional<double> fallback) const {
  const json* value = find(key);
  if (!value) {
    if (fallback) return *fallback;
    return invalid(key, "missing (required)");
  }
  if (!value->is_number()) return invalid(key, "expected a number, got " + json_kind(*value));
  return value->get<double>();
}

Result<bool> ConfigView::get_bool(const std::string& key, std::optional<bool> fallback) const {
  const json* value = find(key);
  if (!value) {
    if (fallback) return *fallback;
    return invalid(key, "missing (required)");
  }
  if (!value->is_boolean()) return invalid(key, "expected true or false, got " + json_kind(*value));
  return value->get<bool>();
}

Result<std::string> ConfigView::get_string(const std::string& key, std::optional<std::string> fallback) const {
  const json* value = find(key);
  if (!value) {
    if (fallback) return *fallback;
    return invalid(key, "missing (required)");
  }
  if (!value->is_string()) return invalid(key, "expected a string, got " + json_kind(*value));
  return value->get<std::string>();
}

Result<std::optional<ConfigView>> ConfigView::get_object(const std::string& key) const {
  const json* value = find(key);
  if (!value) return std::optional<ConfigView>();
  if (!value->is_object()) return invalid(key, "expected an object, got " + json_kind(*value));
  return std::optional<ConfigView>(ConfigView(*value, path_, key_name(key) + "."));
}

Result<std::vector<int>> ConfigView::get_int_list(const std::string& key, std::vector<int> fallback) const {
  const json* value = find(key);
  if (!value) return fallback;
  if (value->is_number_integer()) {
    HFB_TRY(int v, get_int(key));
    return std::vector<int>{v};
  }
  if (!value->is_array()) return invalid(key, "expected an integer or a list of integers, got " + json_kind(*value));
  std::vector<int> out;
  for (size_t i = 0; i < value->size(); ++i) {
    const json& item = (*value)[i];
    const bool fits = item.is_number_integer() &&
                      (item.is_number_unsigned() ? item.get<uint64_t>() <= std::numeric_limits<int>::max()
                                                 : item.get<int64_t>() >= std::numeric_limits<int>::min() &&
                                                       item.get<int64_t>() <= std::numeric_limits<int>::max());
    if (!fits) return invalid(key, "item " + std::to_string(i) + ": expected an integer, got " + json_kind(item));
    out.push_back(static_cast<int>(item.get<int64_t>()));
  }
  return out;
}

}  // namespace hfb::gemma4_config_detail
