// Chunk planning: split a model into on-device loading pieces (embeddings, decoder layer ranges,
// head, audio and vision towers) with the boundary values each piece reads and writes.
// The rule is documented in docs/passes.md ("chunk-plan").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "core/model_config.h"
#include "core/tensor.h"

namespace hfb {

/// A half-open range of decoder layers [begin, end).
struct LayerRange {
  int begin = 0;
  int end = 0;
  int size() const { return end - begin; }
  friend bool operator==(const LayerRange& a, const LayerRange& b) {
    return a.begin == b.begin && a.end == b.end;
  }
};

/// How the decoder chunks are shared between the non-shared and the KV-shared region.
enum class ChunkApportion : uint8_t {
  kLayers,  ///< in proportion to the regions' layer counts (default; reproduces CoreML-LLM)
  kBytes,   ///< in proportion to the regions' weight bytes
};

/// What `--chunks` asked for: auto | N | explicit inclusive ranges "0-7,8-14,...".
struct ChunkRequest {
  enum class Mode : uint8_t { kAuto, kCount, kRanges };
  Mode mode = Mode::kAuto;
  int count = 0;                    ///< kCount: number of decoder chunks (>= 2)
  std::vector<LayerRange> ranges;   ///< kRanges: as parsed (validated against the config later)
  ChunkApportion apportion = ChunkApportion::kLayers;
  /// Set by embed-proj-fusion: the embed_audio / embed_vision projections (role
  /// embedder_projection) belong to their tower's chunk, which then emits text-hidden-size soft
  /// tokens. When false they belong to the embeddings piece and the towers emit their raw output.
  bool embedders_in_towers = false;

  static ChunkRequest automatic() { return ChunkRequest{}; }
  static ChunkRequest with_count(int n);
  /// Parses "auto", "N" or "a-b,c-d,..." (inclusive layer indices; "7" alone is layer 7).
  /// Fails with kInvalidArgument naming the offending item (empty text, a non-number, b < a,
  /// a count < 2, fewer than two ranges). Coverage and order are checked by plan_chunks.
  static Result<ChunkRequest> parse(std::string_view text);
};

/// Names: pipeline/chunk_plan_json.h chunk_kind_name (the bundle format's spellings).
enum class ChunkKind : uint8_t { kEmbeddings, kDecoder, kHead, kAudioTower, kVisionTower };

/// A value crossing a chunk boundary.
struct BoundaryValue {
  enum class Kind : uint8_t {
    kTokenIds,      ///< input_ids
    kHiddenState,   ///< the residual stream [L, hidden]
    kPositions,     ///< absolute positions [L]
    kPleSlice,      ///< per-layer inputs of layers [layer_begin, layer_end)
    kSharedKv,      ///< the K/V cache of decoder layer `layer_begin`, read by a later chunk
    kLogits,
    kAudioFeatures,
    kAudioSoftTokens,
    kPixelValues,
    kImageSoftTokens,
    kAudioTowerOutput,  ///< the audio tower's output before embed_audio (output_proj_dims wide)
    kImageTowerOutput,  ///< the vision tower's output before embed_vision (vision hidden wide)
  };
  Kind kind = Kind::kHiddenState;
  int layer_begin = -1;
  int layer_end = -1;
  /// "hidden_state", "positions", "ple[8:15]", "kv.13", ...
  std::string name() const;
  friend bool operator==(const BoundaryValue& a, const BoundaryValue& b) {
    return a.kind == b.kind && a.layer_begin == b.layer_begin && a.layer_end == b.layer_end;
  }
};

struct Chunk {
  ChunkKind kind = ChunkKind::kDecoder;
  std::string name;                    ///< "embeddings", "decoder.0", "head", "audio", "vision"
  LayerRange layers{-1, -1};           ///< decoder chunks only
  uint64_t bytes = 0;                  ///< weight bytes owned by this chunk (used tensors only)
  std::vector<std::string> tensors;    ///< owned tensors (empty when planned from a config)
  std::vector<std::string> borrowed;   ///< read but owned by another chunk (a tied head)
  std::vector<BoundaryValue> inputs;
  std::vector<BoundaryValue> outputs;
  /// Producer layers whose K/V caches this chunk reads from an earlier chunk.
  std::vector<int> shared_kv_layers() const;
};

struct ChunkPlan {
  std::vector<Chunk> chunks;
  int kv_boundary = 0;        ///< first layer after the last layer with its own K/V
  int num_layers = 0;
  std::vector<LayerRange> decoder_ranges() const;
  const Chunk* find(std::string_view name) const;
  /// One line per chunk: "decoder.2 layers [15,25) 1.2 GiB in: hidden_state positions ... out: ..."
  std::string to_string() const;
};

/// Weight bytes of one decoder layer computed from its spec (what a checkpoint holds for it when
/// every tensor has `dtype_bytes` per element): attention projections (no K/V for KV-shared
/// layers, no V for k_eq_v), q/k norms, MLP, the 4 block norms, the layer scalar and, when
/// `ple_dim` > 0, the PLE gate, projection and norm.
uint64_t layer_weight_bytes(const TextLayerSpec& spec, int hidden_size, int ple_dim,
                            uint64_t dtype_bytes);

/// Weight bytes the Mixture-of-Experts block adds to every decoder layer when `text.enable_moe_block` (0 otherwise):
/// the router (projection, scale, per-expert scale), the two 3-D expert banks and the block's three norms.
uint64_t moe_layer_weight_bytes(const TextConfig& text, uint64_t dtype_bytes);

/// Plans the chunks of `config` using the used tensors of `tensors` (role, tower, layer) for
/// bytes and membership (3-D expert banks count whole, as every tensor of a layer does); when `tensors` holds no
/// text-layer tensor, bytes come from the config (layer_weight_bytes + moe_layer_weight_bytes with BF16). Fails with kInvalidArgument when the request does not fit the
/// model (N < 2 or > layers, ranges not covering every layer once in order), or a tensor names a
/// layer outside the config.
Result<ChunkPlan> plan_chunks(const ModelConfig& config, const TensorTable& tensors,
                              const ChunkRequest& request);

/// Decoder layer ranges only, from per-layer bytes and the KV boundary (the core of the planner,
/// exposed for tests). Fails like plan_chunks.
Result<std::vector<LayerRange>> plan_decoder_ranges(const std::vector<uint64_t>& layer_bytes,
                                                    int kv_boundary, const ChunkRequest& request);

}  // namespace hfb
