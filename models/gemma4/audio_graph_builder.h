// Gemma 4 audio conformer tower (Gemma4AudioModel) + its multimodal embedder -> nodes of an op graph.
#pragma once

#include <string>

#include "core/error.h"
#include "core/graph.h"
#include "core/graph_io.h"
#include "core/model_config.h"
#include "core/tensor.h"

namespace hfb {

/// What the audio subgraph produced.
struct AudioTowerValues {
  std::string embedded;  ///< [T', text hidden] "audio_embedded" (padded frames included)
  std::string mask;      ///< [T'] valid frames after the two stride-2 subsamplings
};

/// Appends inputs input_features [frames, n_mels] and input_features_mask [frames], the tower and the
/// embedder (weightless RMSNorm then model.embed_audio.embedding_projection [text_hidden, output_proj_dims])
/// to `graph`, marking taps audio_subsample_output, audio_layer_output.<i>, audio_tower_output and
/// audio_embedded. No node depends on `frames` (reshapes copy it, strides and convs infer it), so
/// respecialize() re-targets the graph to any frame count. Clip bounds are read only if `clipped` (normally
/// audio.use_clipped_linears).
/// Fails with kNotFound naming a missing tensor, kInvalidArgument for a shape that disagrees with the
/// config (naming node and dims), kUnsupported for an unknown activation.
Result<AudioTowerValues> add_gemma4_audio_tower(Graph* graph, const AudioConfig& audio, int text_hidden,
                                                const TensorTable& tensors, int64_t frames, bool clipped);

/// "audio_layer_output.<i>"
std::string audio_layer_tap(int index);

}  // namespace hfb
