// One stored whole-model graph run at every prompt's media sizes: the towers a prompt has no media for are
// dropped, the rest re-inferred from the prompt's media dims (respecialize, core/graph.h). No model family
// code is involved: the graph is all the runtime knows (issue 8).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "runtime/session.h"
#include "runtime/weight_store.h"

namespace hfb {

/// Graph input name -> dims for the media `media` holds: input_features [T, n_mels] and input_features_mask [T]
/// when it has audio rows, pixel_values [P, width] and image_position_ids [P, 2] when it has image rows.
/// Never fails; no media gives an empty map.
std::map<std::string, std::vector<int64_t>> media_input_dims(const MediaInputs& media);

/// `whole` without everything computed from the graph inputs in `absent` (their towers, embedders and taps):
/// a scatter_tokens node whose token embeddings survive but whose soft tokens do not becomes an identity
/// reshape of the embeddings (same output name), and initializers only dropped nodes read are dropped too.
/// Fails with kNotFound if a name is not a graph input, kInvalidArgument if a graph output depends on it.
Result<GraphData> drop_graph_inputs(const GraphData& whole, const std::vector<std::string>& absent);

/// The graph to run one prompt with `media` on: `whole` without the media inputs the prompt lacks, the
/// present ones respecialized to the prompt's dims. Fails with kUnsupported if the prompt has media the graph
/// has no input for, else like drop_graph_inputs and respecialize (naming the node whose shapes do not fit).
Result<Graph> specialize_for_media(const GraphData& whole, const MediaInputs& media);

/// A Session over `whole`, a whole-model graph (inputs input_ids/positions and optionally the media inputs
/// of validators/graph_interpreter.h, output [L, V] "logits", taps) built at any media sizes: make_chunked_session
/// with the whole graph as one chunk ("all"). Each distinct set of prompt media dims gets its own interpreter
/// over specialize_for_media(whole, media); weights come
/// from `weights` (which must hold every initializer of `whole`). `num_layers` is reported by num_layers().
/// Fails with kInvalidArgument if `whole` does not validate (Graph::from_data) or has no [L, V] "logits";
/// prefill() fails like specialize_for_media, GraphInterpreter::create/set_media/run, or with kInvalidArgument
/// when a medium's placeholder count differs from its soft-token count.
Result<std::unique_ptr<Session>> make_graph_template_session(GraphData whole, std::shared_ptr<const WeightStore> weights,
                                                             int num_layers);

}  // namespace hfb
