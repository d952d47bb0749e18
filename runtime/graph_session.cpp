// GraphSession: Session over the graph interpreter (prefill of the whole prompt, then one token per decode).
#include "runtime/graph_session.h"

#include "core/graph_io.h"
#include "runtime/graph_interpreter.h"
#include "runtime/mapped_weight_store.h"

namespace hfb {
namespace {

class GraphSession final : public Session {
 public:
  GraphSession(std::unique_ptr<GraphInterpreter> interpreter, int64_t vocab, int layers)
      : interpreter_(std::move(interpreter)), vocab_(vocab), layers_(layers) {}

  int64_t vocab_size() const override { return vocab_; }
  int num_layers() const override { return layers_; }
  void reset() override {
    interpreter_->reset();
    prefilled_ = false;
  }

  Result<Matrix> prefill(const std::vector<int64_t>& ids, const MediaInputs* media, Taps* taps) override {
    if (media && (media->input_features.rows > 0 || media->pixel_values.rows > 0)) {
      return Error(ErrorCode::kUnsupported, "runtime: audio/image inputs need the multimodal towers");
    }
    reset();
    HFB_TRY(interpreter_->run(ids));
    prefilled_ = true;
    if (taps) {
      HFB_TRY(interpreter_->read_taps(taps));
    }
    return interpreter_->read(kGraphLogits);
  }

  Result<Matrix> prefill_last(const std::vector<int64_t>& ids, const MediaInputs* media, Taps* taps) override {
    interpreter_->set_logits_last_row(true);
    Result<Matrix> logits = prefill(ids, media, taps);
    interpreter_->set_logits_last_row(false);
    if (!logits.ok()) return logits;
    return last_row(std::move(logits).value());
  }

  Result<Matrix> decode(int64_t id) override {
    if (!prefilled_) return Error(ErrorCode::kInvalidArgument, "runtime: decode before prefill");
    HFB_TRY(interpreter_->run({id}));
    return interpreter_->read(kGraphLogits);
  }

  int64_t experts_weights_read() const override { return interpreter_->experts_weights_read(); }
  uint64_t weight_bytes_read() const override { return interpreter_->weight_bytes_read(); }
  void set_check_finite(bool on) override { interpreter_->set_check_finite(on); }
  std::string first_nonfinite() const override { return interpreter_->first_nonfinite(); }

 private:
  std::unique_ptr<GraphInterpreter> interpreter_;
  int64_t vocab_;
  int layers_;
  bool prefilled_ = false;
};

}  // namespace

Result<std::unique_ptr<Session>> make_graph_session(const Graph& graph, std::shared_ptr<const WeightStore> weights,
                                                    int num_layers) {
  const ValueInfo* logits = graph.find_value(kGraphLogits);
  if (!logits || logits->dims.size() != 2 || logits->dims[0] != kSeqDim) {
    return Error(ErrorCode::kInvalidArgument, "runtime: graph has no [L, V] 'logits' value");
  }
  HFB_TRY(auto interpreter, GraphInterpreter::create(graph, std::move(weights)));
  return std::unique_ptr<Session>(new GraphSession(std::move(interpreter), logits->dims[1], num_layers));
}

Result<std::unique_ptr<Session>> make_session(const Model& model, const Graph& graph) {
  HFB_TRY(std::unique_ptr<MappedWeightStore> store, MappedWeightStore::create(graph, model.tensors));
  std::shared_ptr<const WeightStore> weights(std::move(store));
  return make_graph_session(graph, std::move(weights), model.config.text.num_hidden_layers);
}

}  // namespace hfb
