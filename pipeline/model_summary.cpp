// model_summary_json / model_summary_text: the data behind `hfbundle inspect`.
#include "pipeline/text_format.h"
#include "pipeline/model_summary.h"

#include <cstdarg>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>


namespace hfb {
namespace {

using nlohmann::json;
using ordered_json = nlohmann::ordered_json;

struct Tally {
  uint64_t count = 0;
  uint64_t bytes = 0;
};

struct Totals {
  uint64_t bytes = 0;
  size_t unused = 0;
  std::map<std::string, Tally> by_dtype;
  std::map<std::string, Tally> by_role;
};

Totals tally(const TensorTable& tensors) {
  Totals totals;
  for (const TensorInfo& info : tensors.tensors()) {
    totals.bytes += info.num_bytes;
    totals.unused += !info.used;
    Tally& d = totals.by_dtype[std::string(info.dtype.name())];
    ++d.count;
    d.bytes += info.num_bytes;
    Tally& r = totals.by_role[std::string(role_name(info.role))];
    ++r.count;
    r.bytes += info.num_bytes;
  }
  return totals;
}

ordered_json optional_int(int value) { return value < 0 ? ordered_json(nullptr) : ordered_json(value); }

ordered_json layer_json(const TextLayerSpec& spec) {
  ordered_json l;
  l["index"] = spec.index;
  l["attention"] = std::string(attention_type_name(spec.attention));
  l["head_dim"] = spec.head_dim;
  l["num_heads"] = spec.num_heads;
  l["num_kv_heads"] = spec.num_kv_heads;
  l["kv_shared_from"] = optional_int(spec.kv_shared_from);
  l["k_eq_v"] = spec.k_eq_v;
  l["intermediate_size"] = spec.intermediate_size;
  l["rope"] = {{"type", std::string(rope_type_name(spec.rope.type))},
               {"theta", spec.rope.theta},
               {"partial_rotary_factor", spec.rope.partial_rotary_factor}};
  return l;
}

ordered_json text_json(const TextConfig& text) {
  ordered_json t;
  t["num_hidden_layers"] = text.num_hidden_layers;
  t["hidden_size"] = text.hidden_size;
  t["vocab_size"] = text.vocab_size;
  t["num_attention_heads"] = text.num_attention_heads;
  t["hidden_size_per_layer_input"] = text.hidden_size_per_layer_input;
  t["vocab_size_per_layer_input"] = text.vocab_size_per_layer_input;
  t["num_kv_shared_layers"] = text.num_kv_shared_layers;
  t["sliding_window"] = text.sliding_window;
  t["rms_norm_eps"] = text.rms_norm_eps;
  t["final_logit_softcapping"] = text.final_logit_softcapping;
  t["tie_word_embeddings"] = text.tie_word_embeddings;
  t["hidden_activation"] = text.hidden_activation;
  t["layers"] = ordered_json::array();
  for (const TextLayerSpec& spec : text.layers) t["layers"].push_back(layer_json(spec));
  return t;
}

ordered_json audio_json(const AudioConfig& a) {
  return {{"hidden_size", a.hidden_size},
          {"num_hidden_layers", a.num_hidden_layers},
          {"num_attention_heads", a.num_attention_heads},
          {"subsampling_conv_channels", a.subsampling_conv_channels},
          {"conv_kernel_size", a.conv_kernel_size},
          {"attention_chunk_size", a.attention_chunk_size},
          {"attention_context_left", a.attention_context_left},
          {"attention_context_right", a.attention_context_right},
          {"attention_logit_cap", a.attention_logit_cap},
          {"output_proj_dims", a.output_proj_dims},
          {"use_clipped_linears", a.use_clipped_linears},
          {"hidden_act", a.hidden_act}};
}

ordered_json vision_json(const VisionConfig& v) {
  return {{"hidden_size", v.hidden_size},
          {"intermediate_size", v.intermediate_size},
          {"num_hidden_layers", v.num_hidden_layers},
          {"num_attention_heads", v.num_attention_heads},
          {"num_key_value_heads", v.num_key_value_heads},
          {"head_dim", v.head_dim},
          {"patch_size", v.patch_size},
          {"pooling_kernel_size", v.pooling_kernel_size},
          {"position_embedding_size", v.position_embedding_size},
          {"rope_theta", v.rope_theta},
          {"use_clipped_linears", v.use_clipped_linears},
          {"standardize", v.standardize}};
}

ordered_json tensor_json(const TensorInfo& info) {
  ordered_json t;
  t["name"] = info.name;
  t["dtype"] = std::string(info.dtype.name());
  t["shape"] = info.shape.dims();
  t["role"] = std::string(role_name(info.role));
  t["tower"] = std::string(tower_name(info.tower));
  t["layer"] = optional_int(info.layer);
  t["used"] = info.used;
  t["num_bytes"] = info.num_bytes;
  if (!info.used) t["unused_reason"] = info.unused_reason;
  return t;
}

ordered_json tallies_json(const std::map<std::string, Tally>& tallies) {
  ordered_json out = ordered_json::object();
  for (const auto& [name, t] : tallies) out[name] = {{"count", t.count}, {"bytes", t.bytes}};
  return out;
}

const char* severity_name(Diagnostic::Severity severity) {
  return severity == Diagnostic::Severity::kWarning ? "warning" : "info";
}

}  // namespace

std::string model_summary_json(const Model& model, const std::string& format, int indent) {
  const Totals totals = tally(model.tensors);
  const ModelConfig& c = model.config;
  ordered_json out;
  out["format"] = format;
  out["source"] = model.source;
  out["architecture"] = c.architecture;
  out["model_type"] = c.model_type;
  out["num_tensors"] = model.tensors.size();
  out["total_bytes"] = totals.bytes;
  out["num_unused"] = totals.unused;
  out["bytes_by_dtype"] = tallies_json(totals.by_dtype);
  out["bytes_by_role"] = tallies_json(totals.by_role);
  out["text"] = text_json(c.text);
  out["audio"] = c.audio ? audio_json(*c.audio) : ordered_json(nullptr);
  out["vision"] = c.vision ? vision_json(*c.vision) : ordered_json(nullptr);
  out["generation"] = {{"bos_token_id", c.generation.bos_token_id},
                       {"eos_token_ids", c.generation.eos_token_ids},
                       {"pad_token_id", c.generation.pad_token_id}};
  out["token_ids"] = {{"image", optional_int(c.image_token_id)},
                      {"video", optional_int(c.video_token_id)},
                      {"audio", optional_int(c.audio_token_id)}};
  out["diagnostics"] = ordered_json::array();
  for (const Diagnostic& d : model.diagnostics) {
    out["diagnostics"].push_back(
        {{"severity", severity_name(d.severity)}, {"message", d.message}, {"tensor", d.tensor}});
  }
  out["tensors"] = ordered_json::array();
  for (const TensorInfo& info : model.tensors.tensors()) out["tensors"].push_back(tensor_json(info));
  // Tensor names come from untrusted files: replace invalid UTF-8 rather than throw.
  return out.dump(indent, ' ', false, ordered_json::error_handler_t::replace);
}

namespace {

void append_layers(const TextConfig& text, std::string* out) {
  *out += "  layer  attention  head_dim  heads  kv_heads  kv_from  k_eq_v  mlp_width  rope\n";
  for (const TextLayerSpec& s : text.layers) {
    const std::string from = s.kv_shared_from < 0 ? "-" : std::to_string(s.kv_shared_from);
    std::string rope = std::string(rope_type_name(s.rope.type)) + text_format(" theta=%g", s.rope.theta);
    if (s.rope.type == RopeType::kProportional) rope += text_format(" fraction=%g", s.rope.partial_rotary_factor);
    *out += text_format("  %5d  %-9s  %8d  %5d  %8d  %7s  %-6s  %9d  %s\n", s.index,
                   std::string(attention_type_name(s.attention)).c_str(), s.head_dim, s.num_heads, s.num_kv_heads,
                   from.c_str(), s.k_eq_v ? "yes" : "no", s.intermediate_size, rope.c_str());
  }
}

void append_towers(const ModelConfig& c, std::string* out) {
  if (c.audio) {
    const AudioConfig& a = *c.audio;
    *out += text_format("audio: %d conformer layers, hidden %d, %d heads, output %d, clipped linears %s\n",
                   a.num_hidden_layers, a.hidden_size, a.num_attention_heads, a.output_proj_dims,
                   a.use_clipped_linears ? "on" : "off");
  } else {
    *out += "audio: none\n";
  }
  if (c.vision) {
    const VisionConfig& v = *c.vision;
    *out += text_format("vision: %d encoder layers, hidden %d, %d heads, patch %d, pooling %d, clipped linears %s%s\n",
                   v.num_hidden_layers, v.hidden_size, v.num_attention_heads, v.patch_size, v.pooling_kernel_size,
                   v.use_clipped_linears ? "on" : "off", v.standardize ? ", standardized" : "");
  } else {
    *out += "vision: none\n";
  }
}

void append_tallies(const char* title, const std::map<std::string, Tally>& tallies, std::string* out) {
  *out += text_format("  by %s:\n", title);
  for (const auto& [name, t] : tallies) {
    *out += text_format("    %-28s %6llu tensors  %14llu bytes\n", name.c_str(), static_cast<unsigned long long>(t.count),
                   static_cast<unsigned long long>(t.bytes));
  }
}

}  // namespace

std::string model_summary_text(const Model& model, const std::string& format_name) {
  const ModelConfig& c = model.config;
  const TextConfig& t = c.text;
  const Totals totals = tally(model.tensors);
  std::string out;
  out += "source: " + model.source + "\nformat: " + format_name + "\n";
  out += "architecture: " + c.architecture + " (model_type " + c.model_type + ")\n";
  out += text_format("text: %d layers, hidden %d, vocab %d, %d heads, PLE %d per layer, sliding window %d, "
                "%d kv-shared layers, softcap %g, %s head\n",
                t.num_hidden_layers, t.hidden_size, t.vocab_size, t.num_attention_heads, t.hidden_size_per_layer_input,
                t.sliding_window, t.num_kv_shared_layers, t.final_logit_softcapping,
                t.tie_word_embeddings ? "tied" : "untied");
  append_layers(t, &out);
  append_towers(c, &out);
  out += text_format("tensors: %zu, %llu bytes\n", model.tensors.size(), static_cast<unsigned long long>(totals.bytes));
  append_tallies("dtype", totals.by_dtype, &out);
  append_tallies("role", totals.by_role, &out);
  out += text_format("unused tensors: %zu\n", totals.unused);
  for (const TensorInfo& info : model.tensors.tensors()) {
    if (!info.used) out += "  " + info.name + ": " + info.unused_reason + "\n";
  }
  out += text_format("warnings: %zu\n", model.diagnostics.size());
  for (const Diagnostic& d : model.diagnostics) {
    out += std::string("  ") + severity_name(d.severity) + ": " + d.message + "\n";
  }
  return out;
}

}  // namespace hfb
