// A Session over a model's multimodal graph: built once with every tower, then respecialized to each
// prompt's media sizes (validators/graph_template.h); feeds the media inputs, captures tower and text taps.
#pragma once

#include <memory>

#include "core/error.h"
#include "core/model.h"
#include "models/model_family.h"
#include "runtime/session.h"
#include "runtime/weight_store.h"

namespace hfb {

/// The static tower sizes of `media`: frames = rows of input_features, patches = rows of pixel_values,
/// soft tokens = valid patches (position not (-1,-1)) / pooling_kernel^2 (HF's split size).
MediaDims media_dims(const MediaInputs& media, int pooling_kernel);

/// A Session for a model with audio / vision towers (also works for text-only models): the graph is built
/// once (the family's build_model_graph, every tower the config has) and run through
/// make_graph_template_session. Weights of every tower are widened to float32 once. Fails like
/// build_model_graph (models/model_family.h) and MappedWeightStore::create; prefill() fails like the template session's
/// (kInvalidArgument when the media do not fit the graph or the placeholder count differs from the
/// soft-token count).
Result<std::unique_ptr<Session>> make_multimodal_session(const Model& model,
                                                         const MultimodalGraphOptions& options = {});

/// The same over weights the caller loaded (a bundle's, validators/bundle_session.h): `model` supplies config,
/// names, shapes and roles to the graph builder only (built once). Fails like build_model_graph;
/// a weight missing from `weights` fails the first prefill that needs it (kNotFound naming the tensor).
Result<std::unique_ptr<Session>> make_multimodal_session(const Model& model, std::shared_ptr<const WeightStore> weights,
                                                         const MultimodalGraphOptions& options = {});

}  // namespace hfb
