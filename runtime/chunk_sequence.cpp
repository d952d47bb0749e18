// ChunkSequence and the Session over it: chunk interpreters in order, boundary values by name.
#include "runtime/chunk_sequence.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/graph_io.h"
#include "runtime/graph_template.h"

namespace hfb {
namespace {

constexpr const char* kLogits = kGraphLogits;

bool is_media_input(const std::string& name) { return is_graph_media_input(name); }

/// Per chunk: whether it reads only media inputs and values of earlier media-only chunks (nothing that
/// changes from one token step to the next), and holds no KV state.
std::vector<bool> media_only_chunks(const std::vector<ChunkGraph>& chunks) {
  std::vector<bool> out;
  std::set<std::string> static_values;
  for (const ChunkGraph& chunk : chunks) {
    bool only = chunk.data.states.empty();
    for (const std::string& in : chunk.inputs) only = only && (is_media_input(in) || static_values.count(in) > 0);
    if (only) static_values.insert(chunk.outputs.begin(), chunk.outputs.end());
    out.push_back(only);
  }
  return out;
}

Error in_chunk(Error error, const std::string& chunk) {
  return std::move(error).with_context("in chunk " + chunk);
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
  sequence->media_only_ = media_only_chunks(sequence->chunks_);
  sequence->ran_.assign(sequence->chunks_.size(), false);
  return sequence;
}

void ChunkSequence::reset() {
  for (auto& interpreter : interpreters_) interpreter->reset();
  values_.clear();
  ran_.assign(chunks_.size(), false);
  last_run_.clear();
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
  std::vector<std::string> ran;
  for (size_t c = 0; c < interpreters_.size(); ++c) {
    if (media == nullptr && media_only_[c] && ran_[c]) continue;  // a tower's outputs stand until new media
    Status status = run_chunk(c, ids, media);
    if (!status.ok()) return in_chunk(std::move(status).error(), names_[c]);
    ran.push_back(names_[c]);
  }
  for (size_t c = 0; c < interpreters_.size(); ++c) {
    interpreters_[c]->commit();
    ran_[c] = ran_[c] || std::find(ran.begin(), ran.end(), names_[c]) != ran.end();
  }
  last_run_ = std::move(ran);
  return ok_status();
}

int64_t ChunkSequence::experts_weights_read() const {
  int64_t total = 0;
  for (const auto& interpreter : interpreters_) total += interpreter->experts_weights_read();
  return total;
}

Result<Matrix> ChunkSequence::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return Error(ErrorCode::kNotFound, "runtime: no chunk produced '" + name + "'");
  return it->second;
}

namespace {

/// The sequence for one set of media dims: the whole graph specialized to them, split, one interpreter a chunk.
Result<std::unique_ptr<ChunkSequence>> sequence_for(const GraphData& whole, const ChunkAssignment& assignment,
                                                    const std::shared_ptr<const WeightStore>& weights,
                                                    const MediaInputs& media, std::vector<std::string>* taps) {
  HFB_TRY(Graph graph, specialize_for_media(whole, media));
  HFB_TRY(std::vector<ChunkGraph> chunks, split_graph(graph, assignment));
  *taps = graph.data().taps;
  return ChunkSequence::create(std::move(chunks), weights);
}

}  // namespace

uint64_t ChunkSequence::weight_bytes_read() const {
  uint64_t total = 0;
  for (const auto& interpreter : interpreters_) total += interpreter->weight_bytes_read();
  return total;
}

void ChunkSequence::set_logits_last_row(bool on) {
  for (auto& interpreter : interpreters_) interpreter->set_logits_last_row(on);
}

void ChunkSequence::set_check_finite(bool on) {
  for (auto& interpreter : interpreters_) interpreter->set_check_finite(on);
}

std::string ChunkSequence::first_nonfinite() const {
  for (const std::string& chunk : last_run_) {
    const size_t c = static_cast<size_t>(std::find(names_.begin(), names_.end(), chunk) - names_.begin());
    if (c < interpreters_.size() && !interpreters_[c]->first_nonfinite().empty()) {
      return "in chunk " + chunk + ": " + interpreters_[c]->first_nonfinite();
    }
  }
  return "";
}

namespace {

class ChunkedSession final : public Session {
 public:
  ChunkedSession(GraphData whole, ChunkAssignment assignment, std::shared_ptr<const WeightStore> weights,
                 int64_t vocab, int layers)
      : whole_(std::move(whole)), assignment_(std::move(assignment)), weights_(std::move(weights)), vocab_(vocab),
        layers_(layers) {}

  /// Builds the sequence for `media` unless the current one has the same media dims.
  Status prepare(const MediaInputs& media) {
    auto dims = media_input_dims(media);
    if (sequence_ && dims == dims_) return ok_status();
    if (sequence_) bytes_read_before_ += sequence_->weight_bytes_read();
    sequence_.reset();
    HFB_TRY(sequence_, sequence_for(whole_, assignment_, weights_, media, &taps_));
    sequence_->set_check_finite(check_finite_);
    dims_ = std::move(dims);
    return ok_status();
  }

  int64_t vocab_size() const override { return vocab_; }
  int num_layers() const override { return layers_; }
  void reset() override {
    if (sequence_) sequence_->reset();
    prefilled_ = false;
  }

  Result<Matrix> prefill(const std::vector<int64_t>& ids, const MediaInputs* media, Taps* taps) override {
    static const MediaInputs kNone;
    HFB_TRY(prepare(media ? *media : kNone));
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

  Result<Matrix> prefill_last(const std::vector<int64_t>& ids, const MediaInputs* media, Taps* taps) override {
    static const MediaInputs kNone;
    HFB_TRY(prepare(media ? *media : kNone));
    sequence_->set_logits_last_row(true);
    Result<Matrix> logits = prefill(ids, media, taps);
    sequence_->set_logits_last_row(false);
    if (!logits.ok()) return logits;
    return last_row(std::move(logits).value());
  }

  Result<Matrix> decode(int64_t id) override {
    if (!prefilled_) return Error(ErrorCode::kInvalidArgument, "runtime: decode before prefill");
    HFB_TRY(sequence_->step({id}, nullptr));
    return sequence_->value(kLogits);
  }

  int64_t experts_weights_read() const override { return sequence_ ? sequence_->experts_weights_read() : 0; }
  uint64_t weight_bytes_read() const override {
    return bytes_read_before_ + (sequence_ ? sequence_->weight_bytes_read() : 0);
  }
  void set_check_finite(bool on) override {
    check_finite_ = on;
    if (sequence_) sequence_->set_check_finite(on);
  }
  std::string first_nonfinite() const override { return sequence_ ? sequence_->first_nonfinite() : ""; }

 private:
  GraphData whole_;
  ChunkAssignment assignment_;
  std::shared_ptr<const WeightStore> weights_;
  int64_t vocab_;
  int layers_;
  std::unique_ptr<ChunkSequence> sequence_;
  std::map<std::string, std::vector<int64_t>> dims_;
  std::vector<std::string> taps_;
  bool prefilled_ = false;
  bool check_finite_ = false;
  uint64_t bytes_read_before_ = 0;  // by sequences replaced for other media dims
};

}  // namespace

Result<std::unique_ptr<Session>> make_chunked_session(GraphData whole, ChunkAssignment assignment,
                                                      std::shared_ptr<const WeightStore> weights, int num_layers) {
  int64_t vocab = -1;
  for (const ValueInfo& value : whole.values) {
    if (value.name == kLogits && value.dims.size() == 2 && value.dims[0] == kSeqDim) vocab = value.dims[1];
  }
  if (vocab < 0) return Error(ErrorCode::kInvalidArgument, "runtime: graph has no [L, V] 'logits' value");
  std::unique_ptr<ChunkedSession> session(
      new ChunkedSession(std::move(whole), std::move(assignment), std::move(weights), vocab, num_layers));
  HFB_TRY(session->prepare(MediaInputs{}));
  return std::unique_ptr<Session>(std::move(session));
}

}  // namespace hfb
