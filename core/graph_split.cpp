// split_graph: per-chunk values, states and boundary lists from a node placement, with the checks that
// make the chunks runnable in order (no value or state flows from a later chunk to an earlier one).
#include "core/graph_split.h"

#include <algorithm>
#include <map>
#include <set>

namespace hfb {
namespace {

Error split_error(std::string message) { return Error(ErrorCode::kInvalidArgument, "graph split: " + std::move(message)); }

void add_unique(std::vector<std::string>* list, const std::string& name) {
  if (std::find(list->begin(), list->end(), name) == list->end()) list->push_back(name);
}

bool has_value(const GraphData& data, const std::string& name) {
  return std::any_of(data.values.begin(), data.values.end(), [&](const ValueInfo& v) { return v.name == name; });
}

class ChunkFiller {
 public:
  ChunkFiller(const Graph& graph, const std::vector<int>& placement, std::vector<ChunkGraph>* chunks)
      : graph_(graph), placement_(placement), chunks_(*chunks) {
    needed_outside_.insert(graph.data().outputs.begin(), graph.data().outputs.end());
    needed_outside_.insert(graph.data().taps.begin(), graph.data().taps.end());
  }

  Status fill() {
    const std::vector<Node>& nodes = graph_.nodes();
    for (size_t i = 0; i < nodes.size(); ++i) {
      ChunkGraph& chunk = chunks_[placement_[i]];
      HFB_TRY(add_inputs(nodes[i], placement_[i], &chunk));
      HFB_TRY(track_state(nodes[i], placement_[i], &chunk));
      for (const std::string& out : nodes[i].outputs) {
        produced_in_[out] = placement_[i];
        if (const ValueInfo* value = graph_.find_value(out)) chunk.data.values.push_back(*value);
      }
      chunk.data.nodes.push_back(nodes[i]);
    }
    for (size_t i = 0; i < nodes.size(); ++i) {
      for (const std::string& out : nodes[i].outputs) {
        if (needed_outside_.count(out)) add_unique(&chunks_[placement_[i]].outputs, out);
      }
    }
    for (ChunkGraph& chunk : chunks_) {
      chunk.data.inputs = chunk.inputs;
      chunk.data.outputs = chunk.outputs;
      for (StateInfo& state : chunk.data.states) {
        state.imported = std::find(chunk.imported_states.begin(), chunk.imported_states.end(), state.name) !=
                         chunk.imported_states.end();
      }
    }
    return ok_status();
  }

 private:
  /// Initializers become the chunk's values; values from elsewhere become boundary inputs.
  Status add_inputs(const Node& node, int at, ChunkGraph* chunk) {
    for (const std::string& in : node.inputs) {
      const ValueInfo* value = in.empty() ? nullptr : graph_.find_value(in);
      if (value == nullptr) continue;
      auto it = produced_in_.find(in);
      if (value->kind == ValueKind::kInitializer) {
        if (!has_value(chunk->data, in)) chunk->data.values.push_back(*value);
        continue;
      }
      if (it != produced_in_.end() && it->second > at) {
        return split_error("node '" + node.name + "' in chunk " + chunks_[at].chunk + " reads '" + in +
                           "', which the later chunk " + chunks_[it->second].chunk + " produces");
      }
      if (it == produced_in_.end() || it->second != at) {
        if (!has_value(chunk->data, in)) {
          chunk->inputs.push_back(in);
          ValueInfo boundary = *value;
          boundary.kind = ValueKind::kInput;
          chunk->data.values.push_back(std::move(boundary));
        }
        if (it != produced_in_.end()) needed_outside_.insert(in);
      }
    }
    return ok_status();
  }

  /// Declares the states an attention node uses; a state written by an earlier chunk is imported.
  Status track_state(const Node& node, int at, ChunkGraph* chunk) {
    const std::string state = node.attr_string("state", "");
    if (node.op != OpType::kAttention || state.empty()) return ok_status();
    const bool writes = node.attr_int("writes_state", 0) != 0;
    auto writer = state_writer_.find(state);
    if (!writes && writer == state_writer_.end()) {
      return split_error("node '" + node.name + "' reads state '" + state + "' before any node writes it");
    }
    if (!writes && writer->second > at) {
      return split_error("node '" + node.name + "' in chunk " + chunks_[at].chunk + " reads state '" + state +
                         "', which the later chunk " + chunks_[writer->second].chunk + " writes");
    }
    if (writes) state_writer_[state] = at;
    const StateInfo* info = graph_.find_state(state);
    if (info != nullptr && std::none_of(chunk->data.states.begin(), chunk->data.states.end(),
                                        [&](const StateInfo& s) { return s.name == state; })) {
      chunk->data.states.push_back(*info);
    }
    if (!writes && state_writer_[state] != at) add_unique(&chunk->imported_states, state);
    return ok_status();
  }

  const Graph& graph_;
  const std::vector<int>& placement_;
  std::vector<ChunkGraph>& chunks_;
  std::map<std::string, int> produced_in_, state_writer_;
  std::set<std::string> needed_outside_;
};

}  // namespace

Result<std::vector<ChunkGraph>> split_graph(const Graph& graph, const std::vector<int>& placement,
                                            const std::vector<std::string>& names) {
  if (placement.size() != graph.nodes().size()) {
    return split_error("placement has " + std::to_string(placement.size()) + " entries for " +
                       std::to_string(graph.nodes().size()) + " nodes");
  }
  for (size_t i = 0; i < placement.size(); ++i) {
    if (placement[i] < 0 || placement[i] >= static_cast<int>(names.size())) {
      return split_error("node '" + graph.nodes()[i].name + "' placed in chunk " + std::to_string(placement[i]) +
                         " of " + std::to_string(names.size()));
    }
  }
  std::vector<ChunkGraph> chunks(names.size());
  for (size_t c = 0; c < names.size(); ++c) chunks[c].chunk = names[c];
  HFB_TRY(ChunkFiller(graph, placement, &chunks).fill());
  return chunks;
}

ChunkAssignment chunk_assignment(const std::vector<ChunkGraph>& parts) {
  ChunkAssignment out;
  for (size_t c = 0; c < parts.size(); ++c) {
    out.chunks.push_back(parts[c].chunk);
    for (const Node& node : parts[c].data.nodes) out.node_chunk[node.name] = static_cast<int>(c);
  }
  return out;
}

Result<std::vector<ChunkGraph>> split_graph(const Graph& graph, const ChunkAssignment& assignment) {
  std::vector<int> placement;
  placement.reserve(graph.nodes().size());
  for (const Node& node : graph.nodes()) {
    auto it = assignment.node_chunk.find(node.name);
    if (it == assignment.node_chunk.end()) return split_error("node '" + node.name + "' is in no chunk");
    placement.push_back(it->second);
  }
  return split_graph(graph, placement, assignment.chunks);
}

}  // namespace hfb
