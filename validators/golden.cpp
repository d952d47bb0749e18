// Golden fixtures: reads golden.json (nlohmann) and joins it with golden_tensors.safetensors.
#include "validators/golden.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/byte_source.h"
#include "core/limits.h"
#include "readers/safetensors.h"
#include "validators/golden_tensors.h"

namespace hfb {

namespace {

using nlohmann::json;

constexpr const char* kGoldenJson = "golden.json";
constexpr const char* kGoldenTensors = "golden_tensors.safetensors";

std::string join_path(const std::string& dir, const char* file) {
  if (dir.empty()) return file;
  return dir.back() == '/' ? dir + file : dir + "/" + file;
}

Error json_error(ErrorCode code, const std::string& key, const std::string& what, const std::string& dir) {
  return Error(code, "key '" + key + "': " + what).with_path(join_path(dir, kGoldenJson));
}

// Fetches obj[key] with the expected JSON kind; `where` is the key path for messages.
Result<const json*> get_key(const json& obj, const std::string& key, json::value_t kind,
                            const std::string& where, const std::string& dir) {
  const std::string full = where.empty() ? key : where + "." + key;
  auto it = obj.find(key);
  if (it == obj.end()) return json_error(ErrorCode::kNotFound, full, "missing", dir);
  const bool number_ok = kind == json::value_t::number_float &&
                         (it->is_number_float() || it->is_number_integer());
  const bool int_ok = kind == json::value_t::number_integer && it->is_number_integer();
  if (it->type() != kind && !number_ok && !int_ok) {
    return json_error(ErrorCode::kInvalidFile, full, std::string("expected ") + json(kind).type_name() +
                                                         ", got " + it->type_name(), dir);
  }
  return &*it;
}

Result<std::vector<int64_t>> get_int_list(const json& obj, const std::string& key, const std::string& where,
                                          const std::string& dir) {
  HFB_TRY(const json* list, get_key(obj, key, json::value_t::array, where, dir));
  std::vector<int64_t> out;
  out.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    if (!(*list)[i].is_number_integer()) {
      return json_error(ErrorCode::kInvalidFile, where + "." + key + "[" + std::to_string(i) + "]",
                        "expected an integer token id", dir);
    }
    out.push_back((*list)[i].get<int64_t>());
  }
  return out;
}

Result<GoldenStep> parse_step(const json& s, const std::string& where, const std::string& dir) {
  if (!s.is_object()) return json_error(ErrorCode::kInvalidFile, where, "expected an object", dir);
  GoldenStep step;
  const auto kInt = json::value_t::number_integer;
  const auto kFloat = json::value_t::number_float;
  HFB_TRY(const json* token, get_key(s, "token", kInt, where, dir));
  HFB_TRY(const json* top1, get_key(s, "top1", kInt, where, dir));
  HFB_TRY(const json* top2, get_key(s, "top2", kInt, where, dir));
  HFB_TRY(const json* top1_logit, get_key(s, "top1_logit", kFloat, where, dir));
  HFB_TRY(const json* top2_logit, get_key(s, "top2_logit", kFloat, where, dir));
  HFB_TRY(const json* margin, get_key(s, "margin", kFloat, where, dir));
  step.token = token->get<int64_t>();
  step.top1 = top1->get<int64_t>();
  step.top2 = top2->get<int64_t>();
  step.top1_logit = top1_logit->get<double>();
  step.top2_logit = top2_logit->get<double>();
  step.margin = margin->get<double>();
  return step;
}

// `parent`.`key`.layers: {"<layer>": {"expert_counts": [...]}, ...} -> counts per layer (absent: empty).
Result<std::vector<std::vector<int64_t>>> parse_expert_counts(const json& parent, const char* key,
                                                               const std::string& where, const std::string& dir) {
  std::vector<std::vector<int64_t>> counts;
  auto block = parent.find(key);
  if (block == parent.end() || !block->is_object()) return counts;
  const std::string here = where.empty() ? key : where + "." + key;
  HFB_TRY(const json* layers, get_key(*block, "layers", json::value_t::object, here, dir));
  for (size_t i = 0; i < layers->size(); ++i) {
    const std::string layer_key = std::to_string(i);
    const std::string at = here + ".layers." + layer_key;
    HFB_TRY(const json* layer, get_key(*layers, layer_key, json::value_t::object, here + ".layers", dir));
    HFB_TRY(std::vector<int64_t> row, get_int_list(*layer, "expert_counts", at, dir));
    counts.push_back(std::move(row));
  }
  return counts;
}

Result<GoldenCase> parse_case(const json& c, size_t index, const std::string& dir) {
  const std::string where = "cases[" + std::to_string(index) + "]";
  if (!c.is_object()) return json_error(ErrorCode::kInvalidFile, where, "expected an object", dir);
  GoldenCase out;
  HFB_TRY(const json* name, get_key(c, "name", json::value_t::string, where, dir));
  out.name = name->get<std::string>();
  if (out.name.empty()) return json_error(ErrorCode::kInvalidFile, where + ".name", "empty case name", dir);
  HFB_TRY(out.prompt, get_int_list(c, "prompt", where, dir));
  HFB_TRY(out.greedy, get_int_list(c, "greedy", where, dir));
  HFB_TRY(const json* steps, get_key(c, "steps", json::value_t::array, where, dir));
  for (size_t k = 0; k < steps->size(); ++k) {
    HFB_TRY(GoldenStep step, parse_step((*steps)[k], where + ".steps[" + std::to_string(k) + "]", dir));
    out.steps.push_back(step);
  }
  if (out.prompt.empty()) return json_error(ErrorCode::kInvalidFile, where + ".prompt", "empty prompt", dir);
  if (out.steps.size() != out.greedy.size()) {
    return json_error(ErrorCode::kInvalidFile, where + ".steps",
                      std::to_string(out.steps.size()) + " steps but " + std::to_string(out.greedy.size()) +
                          " greedy tokens", dir);
  }
  for (size_t k = 0; k < out.steps.size(); ++k) {
    if (out.steps[k].token != out.greedy[k]) {
      return json_error(ErrorCode::kInvalidFile, where + ".steps[" + std::to_string(k) + "].token",
                        "differs from greedy[" + std::to_string(k) + "]", dir);
    }
  }
  HFB_TRY(out.moe_expert_counts, parse_expert_counts(c, "moe_routing", where, dir));
  auto eos = c.find("stopped_at_eos");
  out.stopped_at_eos = eos != c.end() && eos->is_boolean() && eos->get<bool>();
  auto mm = c.find("multimodal");
  if (mm != c.end() && mm->is_object()) {
    auto kind = mm->find("kind");
    out.media_kind = kind != mm->end() && kind->is_string() ? kind->get<std::string>() : "multimodal";
  }
  return out;
}

Result<Golden> parse_golden_json(const std::string& text, const std::string& dir) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return Error(ErrorCode::kInvalidFile, "not valid JSON").with_path(join_path(dir, kGoldenJson));
  }
  if (!root.is_object()) return json_error(ErrorCode::kInvalidFile, "<root>", "expected an object", dir);
  Golden golden;
  golden.dir = dir;
  HFB_TRY(const json* format, get_key(root, "format", json::value_t::string, "", dir));
  golden.format = format->get<std::string>();
  if (golden.format.rfind("hf-gemma4-golden/", 0) != 0) {
    return json_error(ErrorCode::kUnsupported, "format", "unknown golden format '" + golden.format + "'", dir);
  }
  for (const char* key : {"preset", "model_class"}) {
    auto it = root.find(key);
    if (it != root.end() && it->is_string()) {
      (std::string(key) == "preset" ? golden.preset : golden.model_class) = it->get<std::string>();
    }
  }
  HFB_TRY(golden.moe_expert_counts, parse_expert_counts(root, "moe", "", dir));
  HFB_TRY(const json* cases, get_key(root, "cases", json::value_t::array, "", dir));
  if (cases->empty()) return json_error(ErrorCode::kInvalidFile, "cases", "no cases", dir);
  std::set<std::string> seen;
  for (size_t i = 0; i < cases->size(); ++i) {
    HFB_TRY(GoldenCase c, parse_case((*cases)[i], i, dir));
    if (!seen.insert(c.name).second) {
      return json_error(ErrorCode::kInvalidFile, "cases[" + std::to_string(i) + "].name",
                        "duplicate case name '" + c.name + "'", dir);
    }
    golden.cases.push_back(std::move(c));
  }
  return golden;
}

Result<std::string> read_text_file(const std::string& path) {
  return read_small_file(path, limits().max_config_bytes, "config_bytes");
}

}  // namespace

Result<Golden> parse_golden(const std::string& json_text, const std::vector<TensorInfo>& tensors,
                            const std::string& dir) {
  HFB_TRY(Golden golden, parse_golden_json(json_text, dir));
  HFB_TRY(attach_golden_tensors(tensors, join_path(dir, kGoldenTensors), &golden));
  return golden;
}

Result<Golden> load_golden(const std::string& dir) {
  HFB_TRY(std::string text, read_text_file(join_path(dir, kGoldenJson)));
  const std::string tensor_path = join_path(dir, kGoldenTensors);
  HFB_TRY(std::shared_ptr<MmapFile> file, MmapFile::open(tensor_path));
  HFB_TRY(std::vector<TensorInfo> tensors, parse_safetensors(file));
  return parse_golden(text, tensors, dir);
}

Result<Golden> select_golden_cases(Golden golden, const std::vector<std::string>& names) {
  if (names.empty()) return golden;
  std::vector<GoldenCase> picked;
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) {
      return Error(ErrorCode::kInvalidArgument, "case '" + name + "' is named twice in --cases");
    }
    auto it = std::find_if(golden.cases.begin(), golden.cases.end(),
                           [&](const GoldenCase& c) { return c.name == name; });
    if (it == golden.cases.end()) {
      std::string known;
      for (const GoldenCase& c : golden.cases) known += (known.empty() ? "" : ", ") + c.name;
      return Error(ErrorCode::kInvalidArgument, "unknown case '" + name + "' (the golden has: " + known + ")")
          .with_path(golden.dir);
    }
    picked.push_back(std::move(*it));
  }
  golden.cases = std::move(picked);
  return golden;
}

}  // namespace hfb
