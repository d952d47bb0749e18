// Test helper: runs the chunk subgraphs of a partition one after another, one interpreter per chunk,
// handing over boundary values by name and sharing KV states with the chunk that writes them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "passes/chunk_partition.h"
#include "validators/graph_interpreter.h"

namespace hfb {

class ChunkRunner {
 public:
  /// One interpreter per non-empty chunk, in order; imported states read from their writer's cache.
  static Result<ChunkRunner> create(const std::vector<ChunkGraph>& chunks,
                                    const std::shared_ptr<const WeightStore>& weights) {
    ChunkRunner runner;
    std::map<std::string, const GraphInterpreter*> writer;
    for (const ChunkGraph& chunk : chunks) {
      if (chunk.data.nodes.empty()) continue;
      HFB_TRY(Graph graph, Graph::from_data(chunk.data));
      HFB_TRY(std::unique_ptr<GraphInterpreter> interpreter, GraphInterpreter::create(std::move(graph), weights));
      for (const std::string& state : chunk.imported_states) {
        HFB_TRY(interpreter->share_state(state, writer[state]));
      }
      for (const Node& node : chunk.data.nodes) {
        if (node.attr_int("writes_state", 0) != 0) writer[node.attr_string("state", "")] = interpreter.get();
      }
      runner.names_.push_back(chunk.chunk);
      runner.chunks_.push_back(&chunk);
      runner.interpreters_.push_back(std::move(interpreter));
    }
    return runner;
  }

  /// Runs every chunk on `ids` (the step's tokens; positions follow), then commits every cache.
  /// Returns the value `output` (e.g. "logits") from the chunk that produced it.
  Result<Matrix> step(const std::vector<int64_t>& ids, const std::string& output, const MediaInputs* media = nullptr) {
    for (size_t c = 0; c < interpreters_.size(); ++c) {
      GraphInterpreter& interpreter = *interpreters_[c];
      if (media) HFB_TRY(interpreter.set_media(*media));
      for (const std::string& in : chunks_[c]->inputs) {
        auto value = values_.find(in);
        if (value != values_.end()) HFB_TRY(interpreter.set_input(in, value->second));
      }
      HFB_TRY(interpreter.run_uncommitted(ids));
      for (const std::string& out : chunks_[c]->outputs) {
        HFB_TRY(values_[out], interpreter.read(out));
      }
    }
    for (auto& interpreter : interpreters_) interpreter->commit();
    auto it = values_.find(output);
    if (it == values_.end()) return Error(ErrorCode::kNotFound, "no chunk produced " + output);
    return it->second;
  }

  const std::vector<std::string>& names() const { return names_; }
  /// Values handed over at the boundaries in the last step, by name.
  const std::map<std::string, Matrix>& values() const { return values_; }

 private:
  std::vector<std::string> names_;
  std::vector<const ChunkGraph*> chunks_;
  std::vector<std::unique_ptr<GraphInterpreter>> interpreters_;
  std::map<std::string, Matrix> values_;
};

}  // namespace hfb
