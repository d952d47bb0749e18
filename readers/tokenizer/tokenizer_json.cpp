// tokenizer.json components -> TokenizerSpec (see tokenizer_json.h).
#include "readers/tokenizer/tokenizer_json.h"

#include "readers/tokenizer/tokenizer_json_sax.h"

namespace hfb::tokenizer {
namespace {

using nlohmann::json;

Error invalid(const std::string& where, const std::string& what) {
  return Error(ErrorCode::kInvalidFile, where + ": " + what);
}
Error unsupported(const std::string& where, const std::string& type) {
  return Error(ErrorCode::kUnsupported,
               where + " type '" + type + "' is not supported (hfbundle reads the BPE tokenizers Gemma ships: " +
                   "Replace/Strip/Sequence normalizers, Split pre-tokenizer, Replace/ByteFallback/Fuse/Strip " +
                   "decoders, TemplateProcessing)");
}

Result<std::string> get_string(const json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return invalid(where, std::string("expected string member '") + key + "'");
  return it->get<std::string>();
}

Result<bool> get_bool(const json& object, const char* key, bool fallback, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return invalid(where, std::string("expected boolean member '") + key + "'");
  return it->get<bool>();
}

Result<std::string> get_type(const json& component, const std::string& where) {
  if (!component.is_object()) return invalid(where, "expected an object");
  return get_string(component, "type", where);
}

// A {"String": "..."} pattern; {"Regex": ...} is refused.
Result<std::string> get_string_pattern(const json& component, const std::string& where) {
  auto it = component.find("pattern");
  if (it == component.end() || !it->is_object()) return invalid(where, "expected object member 'pattern'");
  if (it->contains("Regex")) return Error(ErrorCode::kUnsupported, where + ": Regex patterns are not supported");
  HFB_TRY(std::string pattern, get_string(*it, "String", where + ".pattern"));
  if (pattern.empty()) return invalid(where, "empty pattern");
  return pattern;
}

Status add_normalizer(const json& component, const std::string& where, int depth, TokenizerSpec* spec) {
  HFB_TRY(std::string type, get_type(component, where));
  if (type == "Sequence" && depth < 4) {
    auto it = component.find("normalizers");
    if (it == component.end() || !it->is_array()) return invalid(where, "expected array member 'normalizers'");
    for (size_t i = 0; i < it->size(); ++i) {
      HFB_TRY(add_normalizer((*it)[i], where + ".normalizers[" + std::to_string(i) + "]", depth + 1, spec));
    }
    return ok_status();
  }
  NormalizerStep step;
  if (type == "Replace") {
    HFB_TRY(step.pattern, get_string_pattern(component, where));
    HFB_TRY(step.content, get_string(component, "content", where));
  } else if (type == "Strip") {
    step.kind = NormalizerStep::Kind::kStrip;
    HFB_TRY(step.strip_left, get_bool(component, "strip_left", false, where));
    HFB_TRY(step.strip_right, get_bool(component, "strip_right", false, where));
  } else {
    return unsupported(where, type);
  }
  spec->normalizers.push_back(std::move(step));
  return ok_status();
}

Status add_pre_tokenizer(const json& component, const std::string& where, int depth, TokenizerSpec* spec) {
  HFB_TRY(std::string type, get_type(component, where));
  if (type == "Sequence" && depth < 4) {
    auto it = component.find("pretokenizers");
    if (it == component.end() || !it->is_array()) return invalid(where, "expected array member 'pretokenizers'");
    for (size_t i = 0; i < it->size(); ++i) {
      HFB_TRY(add_pre_tokenizer((*it)[i], where + ".pretokenizers[" + std::to_string(i) + "]", depth + 1, spec));
    }
    return ok_status();
  }
  if (type != "Split") return unsupported(where, type);
  PreTokenizerStep step;
  HFB_TRY(step.pattern, get_string_pattern(component, where));
  HFB_TRY(step.behavior, get_string(component, "behavior", where));
  HFB_TRY(bool invert, get_bool(component, "invert", false, where));
  if (invert) return Error(ErrorCode::kUnsupported, where + ": Split with invert=true is not supported");
  if (step.behavior != "MergedWithPrevious" && step.behavior != "Isolated" && step.behavior != "Removed" &&
      step.behavior != "MergedWithNext") {
    return Error(ErrorCode::kUnsupported, where + ": Split behavior '" + step.behavior + "' is not supported");
  }
  spec->pre_tokenizers.push_back(std::move(step));
  return ok_status();
}

Result<int64_t> get_count(const json& component, const char* key, const std::string& where) {
  auto it = component.find(key);
  if (it == component.end()) return int64_t{0};
  if (!it->is_number_unsigned() || it->get<uint64_t>() > 1024) {
    return invalid(where, std::string("expected a small non-negative integer '") + key + "'");
  }
  return it->get<int64_t>();
}

Status add_decoder(const json& component, const std::string& where, int depth, TokenizerSpec* spec) {
  HFB_TRY(std::string type, get_type(component, where));
  if (type == "Sequence" && depth < 4) {
    auto it = component.find("decoders");
    if (it == component.end() || !it->is_array()) return invalid(where, "expected array member 'decoders'");
    for (size_t i = 0; i < it->size(); ++i) {
      HFB_TRY(add_decoder((*it)[i], where + ".decoders[" + std::to_string(i) + "]", depth + 1, spec));
    }
    return ok_status();
  }
  DecoderStep step;
  if (type == "Replace") {
    step.kind = DecoderStep::Kind::kReplace;
    HFB_TRY(step.pattern, get_string_pattern(component, where));
    HFB_TRY(step.content, get_string(component, "content", where));
  } else if (type == "ByteFallback") {
    step.kind = DecoderStep::Kind::kByteFallback;
  } else if (type == "Fuse") {
    step.kind = DecoderStep::Kind::kFuse;
  } else if (type == "Strip") {
    step.kind = DecoderStep::Kind::kStrip;
    HFB_TRY(step.content, get_string(component, "content", where));
    HFB_TRY(step.start, get_count(component, "start", where));
    HFB_TRY(step.stop, get_count(component, "stop", where));
  } else {
    return unsupported(where, type);
  }
  spec->decoders.push_back(std::move(step));
  return ok_status();
}

Status read_template_items(const json& items, const std::string& where, TemplateSpec* out) {
  if (!items.is_array()) return invalid(where, "expected an array");
  bool seen_a = false;
  for (size_t i = 0; i < items.size(); ++i) {
    const json& item = items[i];
    std::string at = where + "[" + std::to_string(i) + "]";
    if (item.is_object() && item.contains("SpecialToken")) {
      HFB_TRY(std::string id, get_string(item["SpecialToken"], "id", at + ".SpecialToken"));
      (seen_a ? out->suffix : out->prefix).push_back(std::move(id));
    } else if (item.is_object() && item.contains("Sequence")) {
      HFB_TRY(std::string id, get_string(item["Sequence"], "id", at + ".Sequence"));
      if (id != "A" || seen_a) return invalid(at, "single template must name sequence A exactly once");
      seen_a = true;
    } else {
      return invalid(at, "expected a SpecialToken or Sequence item");
    }
  }
  if (!seen_a) return invalid(where, "single template never names sequence A");
  return ok_status();
}

Status read_post_processor(const json& component, TokenizerSpec* spec) {
  const std::string where = "post_processor";
  HFB_TRY(std::string type, get_type(component, where));
  if (type != "TemplateProcessing") return unsupported(where, type);
  TemplateSpec& out = spec->post_processor;
  out.present = true;
  HFB_TRY(read_template_items(component.value("single", json()), where + ".single", &out));
  auto special = component.find("special_tokens");
  if (special == component.end()) return ok_status();
  if (!special->is_object()) return invalid(where, "expected object member 'special_tokens'");
  for (const auto& [name, entry] : special->items()) {
    auto ids = entry.find("ids");
    if (!entry.is_object() || ids == entry.end() || !ids->is_array()) {
      return invalid(where + ".special_tokens['" + name + "']", "expected an object with array 'ids'");
    }
    for (const json& id : *ids) {
      if (!id.is_number_unsigned()) return invalid(where + ".special_tokens['" + name + "']", "ids must be integers");
      out.special_token_ids[name].push_back(id.get<int64_t>());
    }
  }
  return ok_status();
}

Status read_added_tokens(const json& root, TokenizerSpec* spec) {
  auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return ok_status();
  if (!it->is_array()) return invalid("added_tokens", "expected an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& entry = (*it)[i];
    std::string where = "added_tokens[" + std::to_string(i) + "]";
    if (!entry.is_object()) return invalid(where, "expected an object");
    AddedTokenSpec token;
    auto id = entry.find("id");
    if (id == entry.end() || !id->is_number_unsigned()) return invalid(where, "expected a non-negative integer 'id'");
    token.id = id->get<int64_t>();
    HFB_TRY(token.content, get_string(entry, "content", where));
    HFB_TRY(token.special, get_bool(entry, "special", false, where));
    HFB_TRY(token.lstrip, get_bool(entry, "lstrip", false, where));
    HFB_TRY(token.rstrip, get_bool(entry, "rstrip", false, where));
    HFB_TRY(token.normalized, get_bool(entry, "normalized", !token.special, where));
    HFB_TRY(token.single_word, get_bool(entry, "single_word", false, where));
    spec->added_tokens.push_back(std::move(token));
  }
  return ok_status();
}

Status read_model(const json& model, TokenizerSpec* spec) {
  HFB_TRY(std::string type, get_type(model, "model"));
  if (type != "BPE") return unsupported("model", type);
  for (const char* key : {"dropout", "continuing_subword_prefix", "end_of_word_suffix"}) {
    auto it = model.find(key);
    if (it != model.end() && !it->is_null()) {
      return Error(ErrorCode::kUnsupported, std::string("model: BPE option '") + key + "' is not supported");
    }
  }
  auto unk = model.find("unk_token");
  if (unk != model.end() && !unk->is_null()) {
    if (!unk->is_string()) return invalid("model", "expected string or null 'unk_token'");
    spec->unk_token = unk->get<std::string>();
  }
  HFB_TRY(spec->fuse_unk, get_bool(model, "fuse_unk", false, "model"));
  HFB_TRY(spec->byte_fallback, get_bool(model, "byte_fallback", false, "model"));
  HFB_TRY(spec->ignore_merges, get_bool(model, "ignore_merges", false, "model"));
  return ok_status();
}

Status read_components(const json& root, TokenizerSpec* spec) {
  auto model = root.find("model");
  if (model == root.end()) return Error(ErrorCode::kNotFound, "missing member 'model'");
  HFB_TRY(read_model(*model, spec));
  HFB_TRY(read_added_tokens(root, spec));
  auto component = [&](const char* key) -> const json* {
    auto it = root.find(key);
    return it == root.end() || it->is_null() ? nullptr : &*it;
  };
  if (const json* c = component("normalizer")) HFB_TRY(add_normalizer(*c, "normalizer", 0, spec));
  if (const json* c = component("pre_tokenizer")) HFB_TRY(add_pre_tokenizer(*c, "pre_tokenizer", 0, spec));
  if (const json* c = component("decoder")) HFB_TRY(add_decoder(*c, "decoder", 0, spec));
  if (const json* c = component("post_processor")) HFB_TRY(read_post_processor(*c, spec));
  for (const char* key : {"truncation", "padding"}) {
    if (component(key)) return Error(ErrorCode::kUnsupported, std::string("'") + key + "' is not supported (expected null)");
  }
  return ok_status();
}

}  // namespace

Result<TokenizerSpec> parse_tokenizer_json(std::string_view text, const std::string& path) {
  if (text.size() > kMaxTokenizerJsonBytes) {
    return Error(ErrorCode::kLimit, "tokenizer.json is " + std::to_string(text.size()) + " bytes, more than the limit " +
                                        std::to_string(kMaxTokenizerJsonBytes)).with_path(path);
  }
  HFB_TRY(TokenizerJsonParts parts, parse_tokenizer_json_parts(text, path));
  if (!parts.has_vocab) return Error(ErrorCode::kNotFound, "missing member 'model.vocab'").with_path(path);
  TokenizerSpec spec;
  Status status = read_components(parts.rest, &spec);
  if (!status.ok()) return Error(std::move(status).error()).with_path(path);
  spec.vocab = std::move(parts.vocab);
  spec.merges = std::move(parts.merges);
  return spec;
}

}  // namespace hfb::tokenizer
