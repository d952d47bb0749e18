// Recipe JSON: strict parsing (every key and value checked, the key named in errors) and canonical rendering.
#include "pipeline/recipe.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "core/byte_source.h"
#include "core/limits.h"
#include "passes/chunk_plan.h"
#include "passes/pass_registry.h"

namespace hfb {
namespace {

using json = nlohmann::ordered_json;

constexpr int kMaxRecipeDepth = 8;

Error key_error(const std::string& origin, const std::string& key, const std::string& what) {
  return Error(ErrorCode::kInvalidArgument, "recipe: " + key + ": " + what).with_path(origin);
}

std::string type_of(const json& v) {
  if (v.is_number_integer()) return "integer";
  return v.type_name();
}

/// Parses with nlohmann, refusing duplicate keys (which it would silently collapse) and deep nesting.
Result<json> parse_strict(std::string_view text, const std::string& origin) {
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  bool too_deep = false;
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > kMaxRecipeDepth) too_deep = true;
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == json::parse_event_t::key && !keys.empty() && !keys.back().insert(parsed.get<std::string>()).second &&
        duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  json root;
  try {
    root = json::parse(text.begin(), text.end(), callback);
  } catch (const json::parse_error& e) {
    return Error(ErrorCode::kInvalidFile, std::string("recipe: not valid JSON: ") + e.what())
        .with_path(origin)
        .with_offset(e.byte > 0 ? e.byte - 1 : 0);
  }
  if (too_deep) return Error(ErrorCode::kInvalidFile, "recipe: nested deeper than the schema allows").with_path(origin);
  if (!duplicate.empty()) return key_error(origin, duplicate, "duplicate key");
  if (!root.is_object()) return Error(ErrorCode::kInvalidFile, "recipe: expected a JSON object").with_path(origin);
  return root;
}

struct Reader {
  const std::string& origin;

  Status expect(const json& v, bool ok, const std::string& key, const char* want) const {
    if (ok) return ok_status();
    return key_error(origin, key, std::string("expected ") + want + ", got " + type_of(v));
  }
  Result<int64_t> integer(const json& v, const std::string& key, int64_t min) const {
    HFB_TRY(expect(v, v.is_number_integer(), key, "an integer"));
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return key_error(origin, key, "value out of range");
    }
    const int64_t value = v.get<int64_t>();
    if (value < min) return key_error(origin, key, "must be >= " + std::to_string(min) + ", got " + std::to_string(value));
    return value;
  }
  Result<bool> boolean(const json& v, const std::string& key) const {
    HFB_TRY(expect(v, v.is_boolean(), key, "true or false"));
    return v.get<bool>();
  }
  Result<std::string> string(const json& v, const std::string& key) const {
    HFB_TRY(expect(v, v.is_string(), key, "a string"));
    return v.get<std::string>();
  }
  Result<Scheme> scheme(const json& v, const std::string& key) const {
    HFB_TRY(std::string name, string(v, key));
    auto parsed = parse_scheme(name);
    if (!parsed.ok()) return key_error(origin, key, parsed.error().message);
    return *parsed;
  }
  Result<std::vector<std::string>> strings(const json& v, const std::string& key) const {
    HFB_TRY(expect(v, v.is_array(), key, "an array of strings"));
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
      HFB_TRY(std::string s, string(v[i], key + "[" + std::to_string(i) + "]"));
      out.push_back(std::move(s));
    }
    return out;
  }
};

Status read_tensor_types(const Reader& r, const json& v, QuantPolicyOptions* quant) {
  HFB_TRY(r.expect(v, v.is_array(), "tensor_types", "an array of {\"regex\", \"scheme\"} objects"));
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string key = "tensor_types[" + std::to_string(i) + "]";
    HFB_TRY(r.expect(v[i], v[i].is_object(), key, "an object {\"regex\", \"scheme\"}"));
    for (const auto& [name, value] : v[i].items()) {
      if (name != "regex" && name != "scheme") return key_error(r.origin, key + "." + name, "unknown key");
    }
    if (!v[i].contains("regex") || !v[i].contains("scheme")) {
      return key_error(r.origin, key, "needs both \"regex\" and \"scheme\"");
    }
    HFB_TRY(std::string regex, r.string(v[i]["regex"], key + ".regex"));
    HFB_TRY(Scheme scheme, r.scheme(v[i]["scheme"], key + ".scheme"));
    auto checked = parse_tensor_type(regex + "=" + std::string(scheme_name(scheme)));
    if (!checked.ok()) return key_error(r.origin, key + ".regex", checked.error().message);
    quant->tensor_types.emplace_back(std::move(regex), scheme);
  }
  return ok_status();
}

Status read_role_types(const Reader& r, const json& v, QuantPolicyOptions* quant) {
  HFB_TRY(r.expect(v, v.is_object(), "role_types", "an object {ROLE: SCHEME}"));
  for (const auto& [name, value] : v.items()) {
    const std::string key = "role_types." + name;
    std::optional<Role> role = role_from_name(name);
    if (!role) return key_error(r.origin, key, "unknown role '" + name + "' (see docs/roles.md)");
    HFB_TRY(Scheme scheme, r.scheme(value, key));
    quant->role_types.emplace_back(*role, scheme);
  }
  return ok_status();
}

Status read_chunk_types(const Reader& r, const json& v, QuantPolicyOptions* quant) {
  HFB_TRY(r.expect(v, v.is_object(), "chunk_types", "an object {CHUNK: SCHEME}"));
  for (const auto& [name, value] : v.items()) {
    const std::string key = "chunk_types." + name;
    if (name.empty()) return key_error(r.origin, "chunk_types", "empty chunk name");
    Status named = check_chunk_type_name(name);
    if (!named.ok()) return key_error(r.origin, key, named.error().message);
    HFB_TRY(Scheme scheme, r.scheme(value, key));
    quant->chunk_types.emplace_back(name, scheme);
  }
  return ok_status();
}

Status read_passes(const Reader& r, const json& v, PassOptions* passes) {
  HFB_TRY(r.expect(v, v.is_object(), "passes", "an object {\"enable\", \"disable\", \"chunks\"}"));
  for (const auto& [name, value] : v.items()) {
    const std::string key = "passes." + name;
    if (name == "enable") {
      HFB_TRY(passes->enable, r.strings(value, key));
    } else if (name == "disable") {
      HFB_TRY(passes->disable, r.strings(value, key));
    } else if (name == "chunks") {
      HFB_TRY(passes->chunks, r.string(value, key));
      auto request = ChunkRequest::parse(passes->chunks);
      if (!request.ok()) return key_error(r.origin, key, request.error().message);
    } else {
      return key_error(r.origin, key, "unknown key (expected enable, disable, chunks)");
    }
  }
  auto resolved = resolve_passes(passes->enable, passes->disable);
  if (!resolved.ok()) return key_error(r.origin, "passes", resolved.error().message);
  return ok_status();
}

Status read_params(const Reader& r, const std::string& name, const json& value, QuantPolicyOptions* q) {
  if (name == "group_size") {
    HFB_TRY(q->params.group_size, r.integer(value, name, 1));
  } else if (name == "block_size") {
    HFB_TRY(q->params.block_size, r.integer(value, name, 0));
  } else if (name == "min_elements") {
    HFB_TRY(q->min_elements, r.integer(value, name, 0));
  } else if (name == "per_tensor") {
    HFB_TRY(q->params.per_tensor, r.boolean(value, name));
  } else if (name == "f32_scales") {
    HFB_TRY(q->params.f32_scales, r.boolean(value, name));
  } else if (name == "per_channel_scale") {
    HFB_TRY(q->params.per_channel_scale, r.boolean(value, name));
  } else if (name == "allow_nonfinite") {
    HFB_TRY(q->params.allow_nonfinite, r.boolean(value, name));
  } else {
    return key_error(r.origin, name,
                     "unknown key (expected hfbundle_recipe, quant, group_size, block_size, per_tensor, f32_scales, "
                     "per_channel_scale, min_elements, allow_nonfinite, tensor_types, role_types, chunk_types, "
                     "passes, notes)");
  }
  return ok_status();
}

Status read_member(const Reader& r, const std::string& name, const json& value, Recipe* recipe) {
  if (name == "hfbundle_recipe") {
    HFB_TRY(int64_t version, r.integer(value, name, 1));
    if (version != kRecipeVersion) {
      return Error(ErrorCode::kUnsupported, "recipe: hfbundle_recipe: version " + std::to_string(version) +
                                                " is not supported (this build reads version " +
                                                std::to_string(kRecipeVersion) + ")")
          .with_path(r.origin);
    }
    return ok_status();
  }
  if (name == "quant") {
    HFB_TRY(recipe->quant.global, r.scheme(value, name));
    return ok_status();
  }
  if (name == "tensor_types") return read_tensor_types(r, value, &recipe->quant);
  if (name == "role_types") return read_role_types(r, value, &recipe->quant);
  if (name == "chunk_types") return read_chunk_types(r, value, &recipe->quant);
  if (name == "passes") return read_passes(r, value, &recipe->passes);
  if (name == "notes") {
    HFB_TRY(r.expect(value, value.is_object(), name, "an object"));
    recipe->notes_json = value.dump();
    return ok_status();
  }
  return read_params(r, name, value, &recipe->quant);
}

}  // namespace

Result<Recipe> parse_recipe_json(std::string_view text, const std::string& origin) {
  HFB_TRY(json root, parse_strict(text, origin));
  Reader reader{origin};
  for (const char* required : {"hfbundle_recipe", "quant"}) {
    if (!root.contains(required)) return key_error(origin, required, "missing (required)");
  }
  Recipe recipe;
  for (const auto& [name, value] : root.items()) HFB_TRY(read_member(reader, name, value, &recipe));
  return recipe;
}

Result<Recipe> read_recipe_file(const std::string& path) {
  HFB_TRY(std::string text, read_small_file(path, limits().max_config_bytes, "config_bytes"));
  return parse_recipe_json(text, path);
}

std::string recipe_to_json(const Recipe& recipe) {
  const QuantPolicyOptions& q = recipe.quant;
  json j = json::object();
  j["hfbundle_recipe"] = kRecipeVersion;
  j["quant"] = std::string(scheme_name(q.global));
  j["group_size"] = q.params.group_size;
  j["block_size"] = q.params.block_size;
  j["per_tensor"] = q.params.per_tensor;
  j["f32_scales"] = q.params.f32_scales;
  j["per_channel_scale"] = q.params.per_channel_scale;
  j["min_elements"] = q.min_elements;
  j["allow_nonfinite"] = q.params.allow_nonfinite;
  j["tensor_types"] = json::array();
  for (const auto& [regex, scheme] : q.tensor_types) {
    j["tensor_types"].push_back({{"regex", regex}, {"scheme", std::string(scheme_name(scheme))}});
  }
  j["role_types"] = json::object();
  for (const auto& [role, scheme] : q.role_types) {
    const std::string name(role_name(role));
    if (!j["role_types"].contains(name)) j["role_types"][name] = std::string(scheme_name(scheme));
  }
  j["chunk_types"] = json::object();
  for (const auto& [chunk, scheme] : q.chunk_types) {
    if (!j["chunk_types"].contains(chunk)) j["chunk_types"][chunk] = std::string(scheme_name(scheme));
  }
  j["passes"] = {{"enable", recipe.passes.enable}, {"disable", recipe.passes.disable}, {"chunks", recipe.passes.chunks}};
  if (!recipe.notes_json.empty()) {
    json notes = json::parse(recipe.notes_json, nullptr, /*allow_exceptions=*/false);
    j["notes"] = notes.is_discarded() ? json(recipe.notes_json) : notes;  // not JSON: kept as a string
  }
  return j.dump(2) + "\n";
}

Result<QuantPolicy> make_recipe_policy(const Recipe& recipe) { return QuantPolicy::create(recipe.quant); }

void set_recipe_chunk_type(Recipe* recipe, const std::string& chunk, Scheme scheme) {
  auto& types = recipe->quant.chunk_types;
  bool replaced = false;
  const std::string role_prefix = chunk + ":";
  for (auto it = types.begin(); it != types.end();) {
    if (it->first.compare(0, role_prefix.size(), role_prefix) == 0) {
      it = types.erase(it);  // CHUNK:ROLE entries would beat the new CHUNK entry: the whole chunk takes `scheme`
    } else if (it->first != chunk) {
      ++it;
    } else if (!replaced) {
      it->second = scheme;
      replaced = true;
      ++it;
    } else {
      it = types.erase(it);
    }
  }
  if (!replaced) types.emplace_back(chunk, scheme);
}

}  // namespace hfb
