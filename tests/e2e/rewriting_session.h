// Test helper: a Session over the Gemma 4 (multimodal) graph that applies a rewrite, e.g. graph passes,
// to every graph it builds (one per distinct media shape), so verify runs on the passes' output graph.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "models/gemma4/multimodal_graph_builder.h"
#include "models/gemma4/text_graph_builder.h"
#include "pipeline/multimodal_session.h"
#include "runtime/graph_interpreter.h"
#include "runtime/mapped_weight_store.h"
#include "runtime/weight_store.h"

namespace hfb {

using GraphRewrite = std::function<Result<Graph>(Graph)>;

class RewritingSession final : public Session {
 public:
  /// Weights for every tower are widened once from a graph with every tower present.
  static Result<std::unique_ptr<Session>> create(const Model& model, GraphRewrite rewrite) {
    MediaDims all;
    if (model.config.audio) all.audio_frames = 8;
    if (model.config.vision) {
      const int64_t k = model.config.vision->pooling_kernel_size;
      all.image_patches = k * k;
      all.image_soft_tokens = 1;
    }
    HFB_TRY(Graph graph, build_gemma4_multimodal_graph(model.config, model.tensors, all));
    HFB_TRY(std::unique_ptr<MappedWeightStore> store, MappedWeightStore::create(graph, model.tensors));
    const ValueInfo* logits = graph.find_value(kGraphLogits);
    std::unique_ptr<RewritingSession> session(new RewritingSession(model, std::move(rewrite)));
    session->weights_ = std::shared_ptr<const WeightStore>(std::move(store));
    session->vocab_ = logits ? logits->dims[1] : 0;
    return std::unique_ptr<Session>(std::move(session));
  }

  int64_t vocab_size() const override { return vocab_; }
  int num_layers() const override { return model_.config.text.num_hidden_layers; }
  void reset() override {
    if (interpreter_) interpreter_->reset();
  }

  Result<Matrix> prefill(const std::vector<int64_t>& ids, const MediaInputs* media, Taps* taps) override {
    static const MediaInputs kNone;
    const MediaInputs& inputs = media ? *media : kNone;
    const int kernel = model_.config.vision ? model_.config.vision->pooling_kernel_size : 1;
    const MediaDims dims = media_dims(inputs, kernel);
    if (!interpreter_ || dims.audio_frames != dims_.audio_frames || dims.image_patches != dims_.image_patches ||
        dims.image_soft_tokens != dims_.image_soft_tokens) {
      interpreter_.reset();
      HFB_TRY(Graph graph, build_gemma4_multimodal_graph(model_.config, model_.tensors, dims));
      HFB_TRY(graph, rewrite_(std::move(graph)));
      HFB_TRY(interpreter_, GraphInterpreter::create(std::move(graph), weights_));
      dims_ = dims;
    }
    interpreter_->reset();
    HFB_TRY(interpreter_->set_media(inputs));
    HFB_TRY(interpreter_->run(ids));
    if (taps) {
      HFB_TRY(interpreter_->read_taps(taps));
    }
    return interpreter_->read(kGraphLogits);
  }

  Result<Matrix> decode(int64_t id) override {
    if (!interpreter_) return Error(ErrorCode::kInvalidArgument, "decode before prefill");
    HFB_TRY(interpreter_->run({id}));
    return interpreter_->read(kGraphLogits);
  }

 private:
  RewritingSession(const Model& model, GraphRewrite rewrite) : model_(model), rewrite_(std::move(rewrite)) {}

  Model model_;
  GraphRewrite rewrite_;
  std::shared_ptr<const WeightStore> weights_;
  int64_t vocab_ = 0;
  std::unique_ptr<GraphInterpreter> interpreter_;
  MediaDims dims_;
};

}  // namespace hfb
