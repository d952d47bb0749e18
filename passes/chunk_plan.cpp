// plan_chunks: decoder ranges plus the embeddings, head and tower pieces, with their tensors,
// bytes and boundary values.
#include "passes/chunk_plan.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace hfb {
namespace {

using BV = BoundaryValue;

/// Bytes per element assumed when a plan is made from a config alone (checkpoints ship BF16).
constexpr uint64_t kConfigDtypeBytes = 2;

/// The first layer after the last layer that computes its own K/V.
Result<int> find_kv_boundary(const TextConfig& text) {
  const int n = static_cast<int>(text.layers.size());
  int boundary = 0;
  for (int i = 0; i < n; ++i) {
    const int from = text.layers[i].kv_shared_from;
    if (from < 0) {
      boundary = i + 1;
    } else if (from >= i || text.layers[from].kv_shared_from >= 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "decoder layer " + std::to_string(i) + " shares K/V of layer " +
                       std::to_string(from) + ", which is not an earlier layer with its own K/V");
    }
  }
  if (boundary == 0) {
    return Error(ErrorCode::kInvalidArgument, "no decoder layer computes its own K/V");
  }
  return boundary;
}

Chunk make_chunk(ChunkKind kind, std::string name) {
  Chunk chunk;
  chunk.kind = kind;
  chunk.name = std::move(name);
  return chunk;
}

struct Pieces {
  std::vector<uint64_t> layer_bytes;
  std::vector<std::vector<std::string>> layer_tensors;
  Chunk embeddings = make_chunk(ChunkKind::kEmbeddings, "embeddings");
  Chunk head = make_chunk(ChunkKind::kHead, "head");
  Chunk audio = make_chunk(ChunkKind::kAudioTower, "audio");
  Chunk vision = make_chunk(ChunkKind::kVisionTower, "vision");
  bool has_layer_tensors = false;
};

void own(Chunk* chunk, const TensorInfo& t) {
  chunk->tensors.push_back(t.name);
  chunk->bytes += t.num_bytes;
}

/// Text tensors outside the layers: tables and projections feed the embeddings piece; the final
/// norm (width hidden) and an untied lm_head form the head; the PLE projection norm (width
/// ple_dim) belongs with the PLE projection.
void assign_text_global(const TextConfig& text, const TensorInfo& t, Pieces* p) {
  const bool ple_norm = t.role == Role::kNorm && text.hidden_size_per_layer_input > 0 &&
                        text.hidden_size_per_layer_input != text.hidden_size &&
                        t.shape.rank() == 1 && t.shape[0] == text.hidden_size_per_layer_input;
  if (t.role == Role::kLmHead || (t.role == Role::kNorm && !ple_norm)) {
    own(&p->head, t);
  } else {
    own(&p->embeddings, t);
  }
}

Status assign_tensors(const ModelConfig& config, const TensorTable& tensors, bool embedders_in_towers,
                      Pieces* p) {
  const int n = static_cast<int>(config.text.layers.size());
  p->layer_bytes.assign(n, 0);
  p->layer_tensors.assign(n, {});
  for (const TensorInfo& t : tensors.tensors()) {
    if (!t.used) continue;
    if (t.role == Role::kEmbedderProjection && t.tower != Tower::kText && !embedders_in_towers) {
      own(&p->embeddings, t);  // the multimodal embedder runs with the text embeddings
    } else if (t.tower == Tower::kAudio) {
      own(&p->audio, t);
    } else if (t.tower == Tower::kVision) {
      own(&p->vision, t);
    } else if (t.layer < 0) {
      assign_text_global(config.text, t, p);
    } else if (t.layer >= n) {
      return Error(ErrorCode::kInvalidArgument,
                   "tensor is assigned to decoder layer " + std::to_string(t.layer) +
                       " but the config has " + std::to_string(n) + " layers")
          .with_tensor(t.name);
    } else {
      p->layer_bytes[t.layer] += t.num_bytes;
      p->layer_tensors[t.layer].push_back(t.name);
      p->has_layer_tensors = true;
    }
  }
  return ok_status();
}

void assign_from_config(const ModelConfig& config, Pieces* p) {
  const TextConfig& text = config.text;
  const uint64_t hidden = text.hidden_size, ple = text.hidden_size_per_layer_input;
  const uint64_t layers = text.layers.size();
  for (size_t i = 0; i < text.layers.size(); ++i) {
    p->layer_bytes[i] = layer_weight_bytes(text.layers[i], text.hidden_size,
                                           text.hidden_size_per_layer_input, kConfigDtypeBytes) +
                        moe_layer_weight_bytes(text, kConfigDtypeBytes);
  }
  uint64_t embed = static_cast<uint64_t>(text.vocab_size) * hidden;
  if (ple > 0) {
    embed += static_cast<uint64_t>(text.vocab_size_per_layer_input) * layers * ple;  // table
    embed += hidden * layers * ple + ple;  // projection and its norm
  }
  p->embeddings.bytes = embed * kConfigDtypeBytes;
  p->head.bytes = (hidden + (text.tie_word_embeddings ? 0 : embed)) * kConfigDtypeBytes;
}

std::vector<BV> decoder_inputs(const TextConfig& text, LayerRange r) {
  std::vector<BV> in{{BV::Kind::kHiddenState}, {BV::Kind::kPositions}};
  if (text.hidden_size_per_layer_input > 0) in.push_back({BV::Kind::kPleSlice, r.begin, r.end});
  std::set<int> producers;
  for (int l = r.begin; l < r.end; ++l) {
    const int from = text.layers[l].kv_shared_from;
    if (from >= 0 && from < r.begin) producers.insert(from);
  }
  for (int p : producers) in.push_back({BV::Kind::kSharedKv, p, p + 1});
  return in;
}

std::vector<BV> decoder_outputs(const TextConfig& text, LayerRange r) {
  std::vector<BV> out{{BV::Kind::kHiddenState}};
  std::set<int> exported;
  for (size_t l = r.end; l < text.layers.size(); ++l) {
    const int from = text.layers[l].kv_shared_from;
    if (from >= r.begin && from < r.end) exported.insert(from);
  }
  for (int p : exported) out.push_back({BV::Kind::kSharedKv, p, p + 1});
  return out;
}

void add_boundaries(const ModelConfig& config, bool embedders_in_towers, Pieces* p) {
  const int n = static_cast<int>(config.text.layers.size());
  const BV audio_out{embedders_in_towers ? BV::Kind::kAudioSoftTokens : BV::Kind::kAudioTowerOutput};
  const BV vision_out{embedders_in_towers ? BV::Kind::kImageSoftTokens : BV::Kind::kImageTowerOutput};
  p->embeddings.inputs = {{BV::Kind::kTokenIds}};
  if (config.audio) p->embeddings.inputs.push_back(audio_out);
  if (config.vision) p->embeddings.inputs.push_back(vision_out);
  p->embeddings.outputs = {{BV::Kind::kHiddenState}};
  if (config.text.hidden_size_per_layer_input > 0) {
    p->embeddings.outputs.push_back({BV::Kind::kPleSlice, 0, n});
  }
  p->head.inputs = {{BV::Kind::kHiddenState}};
  p->head.outputs = {{BV::Kind::kLogits}};
  p->audio.inputs = {{BV::Kind::kAudioFeatures}};
  p->audio.outputs = {audio_out};
  p->vision.inputs = {{BV::Kind::kPixelValues}};
  p->vision.outputs = {vision_out};
}

void tie_head(const TensorTable& tensors, Chunk* head) {
  bool has_lm_head = false;
  std::string embedding;
  for (const TensorInfo& t : tensors.tensors()) {
    if (!t.used || t.tower != Tower::kText) continue;
    if (t.role == Role::kLmHead) has_lm_head = true;
    if (t.role == Role::kTokenEmbedding) embedding = t.name;
  }
  if (!has_lm_head && !embedding.empty()) head->borrowed.push_back(embedding);
}

}  // namespace

std::vector<int> Chunk::shared_kv_layers() const {
  std::vector<int> layers;
  for (const BoundaryValue& v : inputs) {
    if (v.kind == BoundaryValue::Kind::kSharedKv) layers.push_back(v.layer_begin);
  }
  return layers;
}

std::vector<LayerRange> ChunkPlan::decoder_ranges() const {
  std::vector<LayerRange> ranges;
  for (const Chunk& c : chunks) {
    if (c.kind == ChunkKind::kDecoder) ranges.push_back(c.layers);
  }
  return ranges;
}

const Chunk* ChunkPlan::find(std::string_view name) const {
  for (const Chunk& c : chunks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string ChunkPlan::to_string() const {
  std::string out;
  for (const Chunk& c : chunks) {
    char bytes[32];
    std::snprintf(bytes, sizeof(bytes), "%.2f MiB", static_cast<double>(c.bytes) / (1 << 20));
    out += c.name;
    if (c.kind == ChunkKind::kDecoder) {
      out += " layers [" + std::to_string(c.layers.begin) + "," + std::to_string(c.layers.end) + ")";
    }
    out += " " + std::string(bytes) + " in:";
    for (const auto& v : c.inputs) out += " " + v.name();
    out += " out:";
    for (const auto& v : c.outputs) out += " " + v.name();
    out += "\n";
  }
  return out;
}

Result<ChunkPlan> plan_chunks(const ModelConfig& config, const TensorTable& tensors,
                              const ChunkRequest& request) {
  const TextConfig& text = config.text;
  if (text.layers.empty()) {
    return Error(ErrorCode::kInvalidArgument, "chunk planning: the config has no decoder layers");
  }
  HFB_TRY(int boundary, find_kv_boundary(text));
  Pieces p;
  HFB_TRY(assign_tensors(config, tensors, request.embedders_in_towers, &p));
  if ((!config.audio && !p.audio.tensors.empty()) || (!config.vision && !p.vision.tensors.empty())) {
    return Error(ErrorCode::kInvalidArgument,
                 "chunk planning: the tensor table has audio or vision tower tensors but the "
                 "config has no such tower");
  }
  if (!p.has_layer_tensors) assign_from_config(config, &p);
  HFB_TRY(std::vector<LayerRange> ranges, plan_decoder_ranges(p.layer_bytes, boundary, request));
  add_boundaries(config, request.embedders_in_towers, &p);
  tie_head(tensors, &p.head);

  ChunkPlan plan;
  plan.kv_boundary = boundary;
  plan.num_layers = static_cast<int>(text.layers.size());
  if (config.audio) plan.chunks.push_back(std::move(p.audio));
  if (config.vision) plan.chunks.push_back(std::move(p.vision));
  plan.chunks.push_back(std::move(p.embeddings));
  for (size_t i = 0; i < ranges.size(); ++i) {
    Chunk c = make_chunk(ChunkKind::kDecoder, "decoder." + std::to_string(i));
    c.layers = ranges[i];
    for (int l = ranges[i].begin; l < ranges[i].end; ++l) {
      c.bytes += p.layer_bytes[l];
      c.tensors.insert(c.tensors.end(), p.layer_tensors[l].begin(), p.layer_tensors[l].end());
    }
    c.inputs = decoder_inputs(text, ranges[i]);
    c.outputs = decoder_outputs(text, ranges[i]);
    plan.chunks.push_back(std::move(c));
  }
  plan.chunks.push_back(std::move(p.head));
  return plan;
}

}  // namespace hfb
