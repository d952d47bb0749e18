// Builds the multimodal Gemma 4 graph: towers first, then the text decoder replayed node by node with the
// soft-token scatter inserted between the token embedding and everything that reads hidden_states.0.
#include "models/gemma4/multimodal_graph_builder.h"

#include <string>
#include <utility>
#include <vector>

#include "models/gemma4/audio_graph_builder.h"
#include "models/gemma4/text_graph_builder.h"
#include "models/gemma4/vision_graph_builder.h"

namespace hfb {
namespace {

struct SoftTokens {
  std::string values;  ///< [N, text hidden]
  std::string mask;    ///< [N] or "" (all valid)
  int64_t token_id = -1;
};

Status add_towers(Graph* graph, const ModelConfig& config, const TensorTable& tensors, const MediaDims& media,
                  const MultimodalGraphOptions& options, std::vector<SoftTokens>* soft) {
  const int text_hidden = config.text.hidden_size;
  if (media.image_patches > 0) {
    if (!config.vision || config.image_token_id < 0) {
      return Error(ErrorCode::kInvalidArgument, "gemma4 graph: image input for a model without a vision tower");
    }
    bool clipped = config.vision->use_clipped_linears || options.clip_vision_regardless_of_flag;
    HFB_TRY(auto vision, add_gemma4_vision_tower(graph, *config.vision, text_hidden, tensors, media.image_patches,
                                                 clipped, options.clip_vision_regardless_of_flag));
    soft->push_back({vision.embedded, vision.mask, config.image_token_id});
  }
  if (media.audio_frames > 0) {
    if (!config.audio || config.audio_token_id < 0) {
      return Error(ErrorCode::kInvalidArgument, "gemma4 graph: audio input for a model without an audio tower");
    }
    HFB_TRY(auto audio, add_gemma4_audio_tower(graph, *config.audio, text_hidden, tensors, media.audio_frames,
                                               config.audio->use_clipped_linears));
    soft->push_back({audio.embedded, audio.mask, config.audio_token_id});
  }
  return ok_status();
}

Status replay_node(Graph* graph, const Node& node, const std::vector<SoftTokens>& soft) {
  const std::string embedded = hidden_states_tap(0);
  if (node.outputs[0] != embedded) {
    return graph->add_node(node.op, node.name, node.inputs, node.attributes, node.outputs[0]);
  }
  HFB_TRY(graph->add_node(node.op, kGraphTextEmbedded, node.inputs, node.attributes, kGraphTextEmbedded));
  std::string current = kGraphTextEmbedded;
  for (size_t i = 0; i < soft.size(); ++i) {
    std::string out = i + 1 == soft.size() ? embedded : "merged." + std::to_string(i);
    HFB_TRY(graph->add_node(OpType::kScatterTokens, out, {current, kGraphInputIds, soft[i].values, soft[i].mask},
                            {{"token_id", soft[i].token_id}}, out));
    current = out;
  }
  return ok_status();
}

Status replay_text(Graph* graph, const Graph& text, const TensorTable& tensors, const std::vector<SoftTokens>& soft) {
  for (const ValueInfo& value : text.data().values) {
    if (value.kind != ValueKind::kInitializer) continue;
    const TensorInfo* info = tensors.find(value.tensor);
    if (!info) return Error(ErrorCode::kNotFound, "gemma4 graph: tensor vanished").with_tensor(value.tensor);
    HFB_TRY(graph->add_initializer(value.name, *info));
  }
  for (const StateInfo& state : text.data().states) HFB_TRY(graph->add_state(state));
  for (const Node& node : text.nodes()) HFB_TRY(replay_node(graph, node, soft));
  for (const std::string& output : text.data().outputs) HFB_TRY(graph->mark_output(output));
  for (const std::string& tap : text.data().taps) HFB_TRY(graph->mark_tap(tap));
  return ok_status();
}

}  // namespace

Result<Graph> build_gemma4_multimodal_graph(const ModelConfig& config, const TensorTable& tensors,
                                            const MediaDims& media, const MultimodalGraphOptions& options) {
  HFB_TRY(Graph text, build_gemma4_text_graph(config, tensors));
  if (media.audio_frames <= 0 && media.image_patches <= 0) return text;
  Graph graph;
  for (const std::string& input : text.data().inputs) {
    const ValueInfo* value = text.find_value(input);
    HFB_TRY(graph.add_input(input, value->dtype, value->dims));
  }
  std::vector<SoftTokens> soft;
  HFB_TRY(add_towers(&graph, config, tensors, media, options, &soft));
  HFB_TRY(replay_text(&graph, text, tensors, soft));
  return graph;
}

Result<Graph> build_gemma4_model_graph(const ModelConfig& config, const TensorTable& tensors,
                                       const MultimodalGraphOptions& options) {
  MediaDims placeholder;
  if (config.audio) placeholder.audio_frames = 8;
  if (config.vision) {
    const int64_t k = config.vision->pooling_kernel_size;
    placeholder.image_patches = k * k;
    placeholder.image_soft_tokens = 1;
  }
  return build_gemma4_multimodal_graph(config, tensors, placeholder, options);
}

}  // namespace hfb
