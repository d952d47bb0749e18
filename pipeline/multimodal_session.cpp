// make_multimodal_session: the model family's multimodal graph built once (every tower, placeholder sizes) and run as a
// graph template, respecialized to each prompt's media sizes.
#include "pipeline/multimodal_session.h"

#include <utility>

#include "runtime/graph_template.h"
#include "runtime/mapped_weight_store.h"
#include "runtime/weight_store.h"

namespace hfb {

MediaDims media_dims(const MediaInputs& media, int pooling_kernel) {
  MediaDims dims;
  dims.audio_frames = media.input_features.rows;
  dims.image_patches = media.pixel_values.rows;
  int64_t valid = 0;
  for (size_t p = 0; p + 1 < media.image_position_ids.size(); p += 2) {
    valid += !(media.image_position_ids[p] == -1 && media.image_position_ids[p + 1] == -1);
  }
  int64_t k2 = static_cast<int64_t>(pooling_kernel) * pooling_kernel;
  dims.image_soft_tokens = k2 > 0 ? valid / k2 : 0;
  return dims;
}

Result<std::unique_ptr<Session>> make_multimodal_session(const Model& model, const MultimodalGraphOptions& options) {
  HFB_TRY(Graph graph, build_model_graph(model.config, model.tensors, options));
  HFB_TRY(std::unique_ptr<MappedWeightStore> store, MappedWeightStore::create(graph, model.tensors));
  return make_graph_template_session(graph.data(), std::shared_ptr<const WeightStore>(std::move(store)),
                                     model.config.text.num_hidden_layers);
}

Result<std::unique_ptr<Session>> make_multimodal_session(const Model& model, std::shared_ptr<const WeightStore> weights,
                                                         const MultimodalGraphOptions& options) {
  HFB_TRY(Graph graph, build_model_graph(model.config, model.tensors, options));
  return make_graph_template_session(graph.data(), std::move(weights), model.config.text.num_hidden_layers);
}

}  // namespace hfb
