// ChunkSequence and the Session over it: chunk interpreters in order, boundary values by name.
#include "validators/chunk_sequence.h"

#include <algorithm>
#include <utility>

namespace hfb {
namespace {

constexpr const char* kLogits = "logits";

Error in_chunk(Error error, const std::string& chunk) {
  return std::move(error).with_context("in chunk " + chunk);
}

bool reads_media(const GraphData& data) {
  return std::any_of(data.inputs.begin(), data.inputs.end(),
                     [](const std::string& in) { return in == "input_features" || in == "pixel_values"; });
}

}  // namespace

Result<std::unique_ptr<ChunkSequence>> ChunkSequence::create(std::vector<ChunkGraph> chunks,
                                                             std::shared_ptr<const WeightStore> weights) {
  std::unique_ptr<ChunkSequence> sequence(new ChunkSequence());
  std::map<std::string, const GraphInterpreter*> writer;
  for (ChunkGraph& chunk : chunks) {
    if (chunk.data.nodes.empty()) continue;
    auto graph = Graph::from_data(chunk.data);
    if (!graph.ok()) return in_chunk(std::move(graph).error(), chunk.chunk);
    auto interpreter = GraphInterpreter::create(std::move(graph).value(), weights);
    if (!interpreter.ok()) return in_chunk(std::move(interpreter).error(), chunk.chunk);
    for (const std::string& state : chunk.imported_states) {
      auto it = writer.find(state);
      if (it == writer.end()) {
        return Error(ErrorCode::kInvalidArgument, "runtime: chunk " + chunk.chunk + " imports state '" + state +
                                                      "' that no earlier chunk writes");
      }
      HFB_TRY(interpreter.value()->share_state(state, it->second));
    }
    for (const Node& node : chunk.data.nodes) {
      if (node.attr_int("writes_state", 0) != 0) writer[node.attr_string("state", "")] = interpreter.value().get();
    }
    sequence->names_.push_back(chunk.chunk);
    sequence->interpreters_.push_back(std::move(interpreter).value());
    sequence->chunks_.push_back(std::move(chunk));
  }
  if (sequence->interpreters_.empty()) return Error(ErrorCode::kInvalidArgument, "runtime: every chunk is empty");
  return sequence;
}

void ChunkSequence::reset() {
  for (auto& interpreter : interpreters_) interpreter->reset();
  values_.clear();
}

Status ChunkSequence::run_chunk(size_t c, const std::vector<int64_t>& ids, const MediaInputs* media) {
  GraphInterpreter& interpreter = *interpreters_[c];
  if (media) HFB_TRY(interpreter.set_media(*media));
  for (const std::string& in : chunks_[c].inputs) {
    auto value = values_.find(in);
    if (value != values_.end()) HFB_TRY(interpreter.set_input(in, value->second));
  }
  HFB_TRY(interpreter.run_uncommitted(ids));
  for (const std::string& out : chunks_[c].outputs) {
    HFB_TRY(values_[out], interpreter.read(out));
  }
  return ok_status();
}

Status ChunkSequence::step(const std::vector<int64_t>& ids, const MediaInputs* media) {
  for (size_t c = 0; c < interpreters_.size(); ++c) {
    Status status = run_chunk(c, ids, media);
    if (!status.ok()) return in_chunk(std::move(status).error(), names_[c]);
  }
  for (auto& interpreter : interpreters_) interpreter->commit();
  return ok_status();
}

Result<Matrix> ChunkSequence::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return Error(ErrorCode::kNotFound, "runtime: no chunk produced '" + name + "'");
  return it->second;
}

bool ChunkSequence::takes_media() const {
  return std::any_of(chunks_.begin(), chunks_.end(), [](const ChunkGraph& c) { return reads_media(c.data); });
}

namespace {

class ChunkedSession final : public Session {
 public:
  ChunkedSession(std::unique_ptr<ChunkSequence> sequence, int64_t vocab, int layers, std::vector<std::string> taps)
      : sequence_(std::move(sequence)), vocab_(vocab), layers_(layers), taps_(std::move(taps)) {}

  int64_t vocab_size() const override { return vocab_; }
  int num_layers() const override { return layers_; }
  void reset() override {
    sequence_->reset();
    prefilled_ = false;
  }

  Result<Matrix> prefill(const std::vector<int64_t>& ids, const MediaInputs* media, Taps* taps) override {
    const bool has_media = media && (media->input_features.rows > 0 || media->pixel_values.rows > 0);
    if (has_media && !sequence_->takes_media()) {
      return Error(ErrorCode::kUnsupported, "runtime: audio/image inputs need the multimodal towers");
    }
    reset();
    HFB_TRY(sequence_->step(ids, media));
    prefilled_ = true;
    if (taps) {
      for (const std::string& tap : taps_) {
        HFB_TRY((*taps)[tap], sequence_->value(tap));
      }
    }
    return sequence_->value(kLogits);
  }

  Result<Matrix> decode(int64_t id) override {
    if (!prefilled_) return Error(ErrorCode::kInvalidArgument, "runtime: decode before prefill");
    HFB_TRY(sequence_->step({id}, nullptr));
    return sequence_->value(kLogits);
  }

 private:
  std::unique_ptr<ChunkSequence> sequence_;
  int64_t vocab_;
  int layers_;
  std::vector<std::string> taps_;
  bool prefilled_ = false;
};

}  // namespace

Result<std::unique_ptr<Session>> make_chunked_session(std::vector<ChunkGraph> chunks,
                                                      std::shared_ptr<const WeightStore> weights, int num_layers,
                                                      std::vector<std::string> taps) {
  int64_t vocab = -1;
  for (const ChunkGraph& chunk : chunks) {
    if (std::find(chunk.outputs.begin(), chunk.outputs.end(), kLogits) == chunk.outputs.end()) continue;
    for (const ValueInfo& value : chunk.data.values) {
      if (value.name == kLogits && value.dims.size() == 2 && value.dims[0] == kSeqDim) vocab = value.dims[1];
    }
  }
  if (vocab < 0) return Error(ErrorCode::kInvalidArgument, "runtime: no chunk outputs an [L, V] 'logits' value");
  HFB_TRY(std::unique_ptr<ChunkSequence> sequence, ChunkSequence::create(std::move(chunks), std::move(weights)));
  return std::unique_ptr<Session>(new ChunkedSession(std::move(sequence), vocab, num_layers, std::move(taps)));
}

}  // namespace hfb
