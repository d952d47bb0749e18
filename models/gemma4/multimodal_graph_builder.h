// Gemma 4 ConditionalGeneration -> one op graph: the text decoder with the audio and vision towers and their
// embedders as subgraphs, merged by scattering soft tokens into the placeholder positions.
#pragma once

#include "core/error.h"
#include "core/graph.h"
#include "core/model_config.h"
#include "core/tensor.h"
#include "models/model_family.h"  // MediaDims, MultimodalGraphOptions

namespace hfb {

/// The text graph (build_gemma4_text_graph) plus, for each medium with non-zero dims, its tower, embedder and
/// a scatter_tokens node (with the tower's soft-token mask): "hidden_states.0" becomes the token embedding
/// (placeholders embedded as pad) with image soft tokens then audio soft tokens written into the
/// image_token_id / audio_token_id positions; the PLE projection then reads the merged embedding. Without
/// media this is the text graph.
/// Fails like build_gemma4_text_graph and the tower builders, with kInvalidArgument if media is requested
/// for a tower the config does not have.
Result<Graph> build_gemma4_multimodal_graph(const ModelConfig& config, const TensorTable& tensors,
                                            const MediaDims& media, const MultimodalGraphOptions& options = {});

/// The whole model's graph: every tower the config has, built at placeholder media sizes (8 audio frames, one
/// pooled image of pooling_kernel^2 patches). It names every weight any prompt can need and, respecialized to a
/// prompt's media dims (core/graph.h respecialize), serves every prompt; this is the graph a bundle stores.
/// A config without towers gives the text graph. Fails like build_gemma4_multimodal_graph.
Result<Graph> build_gemma4_model_graph(const ModelConfig& config, const TensorTable& tensors,
                                       const MultimodalGraphOptions& options = {});

/// Name of the scaled token embedding before the merge.
inline constexpr const char* kGraphTextEmbedded = "text_embedded";

}  // namespace hfb
