// chunk_plan_to_json and the plan's chunk-kind names (the bundle format's table).
#include "pipeline/chunk_plan_json.h"

#include <nlohmann/json.hpp>

#include "formats/bundle.pb.h"
#include "formats/bundle_format.h"

namespace hfb {
namespace {

bundle::ChunkKind bundle_kind(ChunkKind kind) {
  switch (kind) {
    case ChunkKind::kEmbeddings: return bundle::CHUNK_EMBEDDING;
    case ChunkKind::kDecoder: return bundle::CHUNK_DECODER;
    case ChunkKind::kHead: return bundle::CHUNK_HEAD;
    case ChunkKind::kAudioTower: return bundle::CHUNK_AUDIO;
    case ChunkKind::kVisionTower: return bundle::CHUNK_VISION;
  }
  return bundle::CHUNK_DECODER;
}

nlohmann::ordered_json boundary_list(const std::vector<BoundaryValue>& values) {
  nlohmann::ordered_json names = nlohmann::ordered_json::array();
  for (const BoundaryValue& v : values) names.push_back(v.name());
  return names;
}

nlohmann::ordered_json chunk_json(const Chunk& c, bool with_tensors) {
  nlohmann::ordered_json out = {{"name", c.name}, {"kind", chunk_kind_name(c.kind)}};
  out["layers"] = c.kind == ChunkKind::kDecoder ? nlohmann::ordered_json::array({c.layers.begin, c.layers.end})
                                                : nlohmann::ordered_json(nullptr);
  out["bytes"] = c.bytes;
  if (with_tensors) {
    out["tensors"] = c.tensors;
    out["borrowed"] = c.borrowed;
  }
  out["inputs"] = boundary_list(c.inputs);
  out["outputs"] = boundary_list(c.outputs);
  return out;
}

}  // namespace

std::string chunk_kind_name(ChunkKind kind) { return bundle_chunk_kind_name(bundle_kind(kind)); }

std::string chunk_plan_to_json(const ChunkPlan& plan, bool with_tensors) {
  nlohmann::ordered_json chunks = nlohmann::ordered_json::array();
  for (const Chunk& c : plan.chunks) chunks.push_back(chunk_json(c, with_tensors));
  const nlohmann::ordered_json out = {{"num_layers", plan.num_layers}, {"kv_boundary", plan.kv_boundary}, {"chunks", chunks}};
  return out.dump();
}

}  // namespace hfb
