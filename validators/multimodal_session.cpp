// MultimodalSession: one interpreter per distinct media shape, shared float32 weights, taps after prefill.
#include "validators/multimodal_session.h"

#include <utility>

#include "readers/gemma4/text_graph_builder.h"
#include "validators/graph_interpreter.h"
#include "validators/weight_store.h"

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

namespace {

class MultimodalSession final : public Session {
 public:
  MultimodalSession(const Model& model, std::shared_ptr<const WeightStore> weights, MultimodalGraphOptions options,
                    int64_t vocab)
      : config_(model.config), tensors_(model.tensors), weights_(std::move(weights)), options_(options),
        vocab_(vocab) {}

  int64_t vocab_size() const override { return vocab_; }
  int num_layers() const override { return config_.text.num_hidden_layers; }
  void reset() override {
    if (interpreter_) interpreter_->reset();
    prefilled_ = false;
  }

  Result<Matrix> prefill(const std::vector<int64_t>& ids, const MediaInputs* media, Taps* taps) override {
    static const MediaInputs kNone;
    const MediaInputs& inputs = media ? *media : kNone;
    int kernel = config_.vision ? config_.vision->pooling_kernel_size : 1;
    MediaDims dims = media_dims(inputs, kernel);
    if (!interpreter_ || dims.audio_frames != dims_.audio_frames || dims.image_patches != dims_.image_patches ||
        dims.image_soft_tokens != dims_.image_soft_tokens) {
      interpreter_.reset();
      HFB_TRY(Graph graph, build_gemma4_multimodal_graph(config_, tensors_, dims, options_));
      HFB_TRY(interpreter_, GraphInterpreter::create(std::move(graph), weights_));
      dims_ = dims;
    }
    reset();
    HFB_TRY(interpreter_->set_media(inputs));
    HFB_TRY(interpreter_->run(ids));
    prefilled_ = true;
    if (taps) {
      HFB_TRY(interpreter_->read_taps(taps));
    }
    return interpreter_->read(kGraphLogits);
  }

  Result<Matrix> decode(int64_t id) override {
    if (!prefilled_) return Error(ErrorCode::kInvalidArgument, "runtime: decode before prefill");
    HFB_TRY(interpreter_->run({id}));
    return interpreter_->read(kGraphLogits);
  }

 private:
  ModelConfig config_;
  TensorTable tensors_;
  std::shared_ptr<const WeightStore> weights_;
  MultimodalGraphOptions options_;
  int64_t vocab_;
  std::unique_ptr<GraphInterpreter> interpreter_;
  MediaDims dims_;
  bool prefilled_ = false;
};

}  // namespace

Result<std::unique_ptr<Session>> make_multimodal_session(const Model& model, const MultimodalGraphOptions& options) {
  // A graph with every tower present (placeholder sizes) names every weight any prompt can need.
  MediaDims all;
  if (model.config.audio) all.audio_frames = 8;
  if (model.config.vision) {
    int64_t k = model.config.vision->pooling_kernel_size;
    all.image_patches = k * k;
    all.image_soft_tokens = 1;
  }
  HFB_TRY(Graph graph, build_gemma4_multimodal_graph(model.config, model.tensors, all, options));
  HFB_TRY(std::unique_ptr<F32WeightStore> store, F32WeightStore::create(graph, model.tensors));
  return make_multimodal_session(model, std::shared_ptr<const WeightStore>(std::move(store)), options);
}

Result<std::unique_ptr<Session>> make_multimodal_session(const Model& model, std::shared_ptr<const WeightStore> weights,
                                                         const MultimodalGraphOptions& options) {
  // The text graph (no media) has the same [L, V] logits as every media graph.
  HFB_TRY(Graph graph, build_gemma4_multimodal_graph(model.config, model.tensors, MediaDims{}, options));
  const ValueInfo* logits = graph.find_value(kGraphLogits);
  if (!logits || logits->dims.size() != 2) {
    return Error(ErrorCode::kInvalidArgument, "runtime: graph has no [L, V] 'logits' value");
  }
  return std::unique_ptr<Session>(new MultimodalSession(model, std::move(weights), options, logits->dims[1]));
}

}  // namespace hfb
