// partition_graph: node placement by initializer ownership + dataflow (earliest feasible chunk),
// then per-chunk values, states and boundary lists (core/graph_split).
#include "passes/chunk_partition.h"

#include <algorithm>
#include <map>
#include <set>

namespace hfb {
namespace {

Error partition_error(std::string message) {
  return Error(ErrorCode::kInvalidArgument, "chunk partition: " + std::move(message));
}

/// tensor name -> index of the chunk that owns it.
std::map<std::string, int> tensor_owners(const ChunkPlan& plan) {
  std::map<std::string, int> owners;
  for (size_t c = 0; c < plan.chunks.size(); ++c) {
    for (const std::string& t : plan.chunks[c].tensors) owners[t] = static_cast<int>(c);
  }
  return owners;
}

/// The index of the embeddings piece (where nodes constrained by nothing else go), else 0.
int embeddings_chunk(const ChunkPlan& plan) {
  for (size_t c = 0; c < plan.chunks.size(); ++c) {
    if (plan.chunks[c].kind == ChunkKind::kEmbeddings) return static_cast<int>(c);
  }
  return 0;
}

/// Forward sweep: the latest owner of a node's initializers and chunk of its placed producers; -1
/// when neither constrains it (it reads only graph inputs, or nothing).
Result<std::vector<int>> place_forward(const Graph& graph, const ChunkPlan& plan) {
  const std::map<std::string, int> owners = tensor_owners(plan);
  std::map<std::string, int> producer_chunk;
  std::vector<int> placement;
  for (const Node& node : graph.nodes()) {
    int chunk = -1;
    for (const std::string& in : node.inputs) {
      if (in.empty()) continue;
      const ValueInfo* value = graph.find_value(in);
      if (value != nullptr && value->kind == ValueKind::kInitializer) {
        auto owner = owners.find(value->tensor);
        if (owner == owners.end()) {
          return partition_error("no chunk of the plan owns tensor '" + value->tensor +
                                 "' read by node '" + node.name + "'")
              .with_tensor(value->tensor);
        }
        chunk = std::max(chunk, owner->second);
      } else if (auto it = producer_chunk.find(in); it != producer_chunk.end()) {
        chunk = std::max(chunk, it->second);
      }
    }
    for (const std::string& out : node.outputs) producer_chunk[out] = chunk;
    placement.push_back(chunk);
  }
  return placement;
}

/// The chunk of every node (by index), or an error for an initializer with no owner. A node nothing
/// constrains (a tower's input scaling, sinusoid positions) joins its earliest consumer, so a tower's
/// nodes stay in the tower chunk; with no consumer it goes to the embeddings piece.
Result<std::vector<int>> place_nodes(const Graph& graph, const ChunkPlan& plan) {
  HFB_TRY(std::vector<int> placement, place_forward(graph, plan));
  const std::vector<Node>& nodes = graph.nodes();
  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& out : nodes[i].outputs) producer[out] = i;
  }
  std::vector<int> earliest_consumer(nodes.size(), -1);
  for (size_t i = nodes.size(); i-- > 0;) {
    if (placement[i] < 0) {
      placement[i] = earliest_consumer[i] >= 0 ? earliest_consumer[i] : embeddings_chunk(plan);
    }
    for (const std::string& in : nodes[i].inputs) {
      auto it = in.empty() ? producer.end() : producer.find(in);
      if (it == producer.end()) continue;
      int& e = earliest_consumer[it->second];
      e = e < 0 ? placement[i] : std::min(e, placement[i]);
    }
  }
  return placement;
}

Error partition_bug(const ChunkGraph& chunk, const std::string& what) {
  return Error(ErrorCode::kInternal, "chunk partition: chunk " + chunk.chunk + ": " + what);
}

}  // namespace

Result<std::vector<ChunkGraph>> partition_graph(const Graph& graph, const ChunkPlan& plan) {
  if (plan.chunks.empty()) return partition_error("the plan has no chunks");
  HFB_TRY(std::vector<int> placement, place_nodes(graph, plan));
  std::vector<std::string> names;
  for (const Chunk& chunk : plan.chunks) names.push_back(chunk.name);
  return split_graph(graph, placement, names);
}

Status check_partition(const Graph& graph, const std::vector<ChunkGraph>& chunks) {
  const std::vector<Node>& nodes = graph.nodes();
  std::map<std::string, size_t> order;
  for (size_t i = 0; i < nodes.size(); ++i) order[nodes[i].name] = i;
  std::set<std::string> available(graph.data().inputs.begin(), graph.data().inputs.end());
  std::set<std::string> written_states, seen;
  for (const ChunkGraph& chunk : chunks) {
    for (const std::string& in : chunk.inputs) {
      if (!available.count(in)) return partition_bug(chunk, "input '" + in + "' not produced earlier");
    }
    for (const std::string& s : chunk.imported_states) {
      if (!written_states.count(s)) return partition_bug(chunk, "state '" + s + "' not written earlier");
    }
    size_t previous = 0;
    for (const Node& node : chunk.data.nodes) {
      auto it = order.find(node.name);
      if (it == order.end() || !seen.insert(node.name).second || (previous > it->second)) {
        return partition_bug(chunk, "node '" + node.name + "' unknown, repeated or out of order");
      }
      previous = it->second;
      if (node.attr_int("writes_state", 0) != 0) written_states.insert(node.attr_string("state", ""));
    }
    for (const std::string& out : chunk.outputs) available.insert(out);
  }
  if (seen.size() != nodes.size()) {
    return Error(ErrorCode::kInternal, "chunk partition: " + std::to_string(seen.size()) +
                                           " nodes in chunks, " + std::to_string(nodes.size()) +
                                           " in the graph");
  }
  return ok_status();
}

}  // namespace hfb
