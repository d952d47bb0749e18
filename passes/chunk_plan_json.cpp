// chunk_plan_to_json: the chunk plan as JSON text (passes/ links no JSON library; the output is small).
#include <cstdio>

#include "passes/chunk_plan.h"

namespace hfb {
namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string string_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + quoted(items[i]);
  return out + "]";
}

std::string boundary_list(const std::vector<BoundaryValue>& values) {
  std::vector<std::string> names;
  for (const BoundaryValue& v : values) names.push_back(v.name());
  return string_list(names);
}

std::string chunk_json(const Chunk& c, bool with_tensors) {
  std::string out = "{\"name\":" + quoted(c.name) + ",\"kind\":" + quoted(chunk_kind_name(c.kind)) + ",\"layers\":";
  out += c.kind == ChunkKind::kDecoder
             ? "[" + std::to_string(c.layers.begin) + "," + std::to_string(c.layers.end) + "]"
             : std::string("null");
  out += ",\"bytes\":" + std::to_string(c.bytes);
  if (with_tensors) out += ",\"tensors\":" + string_list(c.tensors) + ",\"borrowed\":" + string_list(c.borrowed);
  out += ",\"inputs\":" + boundary_list(c.inputs) + ",\"outputs\":" + boundary_list(c.outputs) + "}";
  return out;
}

}  // namespace

std::string chunk_plan_to_json(const ChunkPlan& plan, bool with_tensors) {
  std::string out = "{\"num_layers\":" + std::to_string(plan.num_layers) +
                    ",\"kv_boundary\":" + std::to_string(plan.kv_boundary) + ",\"chunks\":[";
  for (size_t i = 0; i < plan.chunks.size(); ++i) out += (i ? "," : "") + chunk_json(plan.chunks[i], with_tensors);
  return out + "]}";
}

}  // namespace hfb
