// Gemma 4 vision encoder tower (Gemma4VisionModel) + its multimodal embedder -> nodes of an op graph.
#pragma once

#include <string>

#include "core/error.h"
#include "core/graph.h"
#include "core/graph_io.h"
#include "core/model_config.h"
#include "core/tensor.h"

namespace hfb {

/// What the vision subgraph produced.
struct VisionTowerValues {
  std::string embedded;  ///< [P/k^2, text hidden] "vision_embedded" (padding tokens included, last)
  std::string mask;      ///< [P/k^2] non-zero for pooled tokens holding valid patches (the image's soft tokens)
};

/// Appends inputs pixel_values [patches, 3*patch^2] and image_position_ids [patches, 2], the encoder, the
/// k x k position pooling (x sqrt(hidden)) keeping all patches/k^2 pooled rows (valid ones first), the
/// optional standardize and the embedder (weightless RMSNorm then model.embed_vision.embedding_projection
/// [text_hidden, vision hidden]); taps vision_patch_embeddings, vision_layer_output.<i>, vision_pooled,
/// vision_tower_output, vision_embedded. No node depends on `patches` (sizes are relative), so
/// respecialize() re-targets the graph to any patch count that is a multiple of k^2.
/// Clip bounds are read only if `clipped` (normally vision.use_clipped_linears); `force_bounds` (tests only)
/// also reads bounds the reader flagged unused.
/// Fails with kNotFound naming a missing tensor, kInvalidArgument when patches is not a positive multiple of
/// pooling_kernel_size^2 or a shape disagrees with the config.
Result<VisionTowerValues> add_gemma4_vision_tower(Graph* graph, const VisionConfig& vision, int text_hidden,
                                                  const TensorTable& tensors, int64_t patches, bool clipped,
                                                  bool force_bounds = false);

/// "vision_layer_output.<i>"
std::string vision_layer_tap(int index);

}  // namespace hfb
