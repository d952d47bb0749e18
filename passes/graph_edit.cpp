// Tensor removal, reference checks and dead-code elimination shared by the passes.
#include "passes/graph_edit.h"

#include <algorithm>

namespace hfb {
namespace {

bool is_state_writer(const Node& node) {
  return node.op == OpType::kAttention && node.attr_int("writes_state", 0) != 0 &&
         !node.attr_string("state", "").empty();
}

/// Marks live nodes: those reaching an output or tap, plus state writers whose state a live
/// node reads. Iterates to a fixed point (a newly live reader can revive a writer).
std::vector<bool> find_live_nodes(const GraphData& data) {
  std::set<std::string> needed(data.outputs.begin(), data.outputs.end());
  needed.insert(data.taps.begin(), data.taps.end());
  std::set<std::string> read_states;
  std::vector<bool> live(data.nodes.size(), false);
  bool grew = true;
  while (grew) {
    grew = false;
    for (size_t i = data.nodes.size(); i-- > 0;) {
      const Node& node = data.nodes[i];
      if (live[i]) continue;
      bool wanted = std::any_of(node.outputs.begin(), node.outputs.end(),
                                [&](const std::string& o) { return needed.count(o) != 0; });
      wanted = wanted || (is_state_writer(node) && read_states.count(node.attr_string("state", "")));
      if (!wanted) continue;
      live[i] = grew = true;
      for (const std::string& in : node.inputs) {
        if (!in.empty()) needed.insert(in);
      }
      const std::string state = node.attr_string("state", "");
      if (node.op == OpType::kAttention && !state.empty()) read_states.insert(state);
    }
  }
  return live;
}

PassChange graph_change(PassChange::Kind kind, const std::string& name, std::string reason) {
  PassChange change;
  change.kind = kind;
  change.name = name;
  change.reason = std::move(reason);
  return change;
}

}  // namespace

std::vector<PassChange> remove_tensors(TensorTable* table,
                                       const std::map<std::string, std::string>& reasons) {
  std::vector<PassChange> changes;
  TensorTable kept;
  for (const TensorInfo& t : table->tensors()) {
    auto it = reasons.find(t.name);
    if (it == reasons.end()) {
      kept.add(t);
      continue;
    }
    PassChange change;
    change.kind = PassChange::Kind::kTensorRemoved;
    change.name = t.name;
    change.role = t.role;
    change.tower = t.tower;
    change.layer = t.layer;
    change.bytes = t.num_bytes;
    change.reason = it->second;
    changes.push_back(std::move(change));
  }
  *table = std::move(kept);
  return changes;
}

Status check_graph_does_not_read(const Graph& graph, const std::set<std::string>& tensors,
                                 std::string_view pass) {
  for (const ValueInfo& value : graph.data().values) {
    if (value.kind != ValueKind::kInitializer || tensors.count(value.tensor) == 0) continue;
    std::string consumer = "no node";
    for (const Node& node : graph.nodes()) {
      if (std::find(node.inputs.begin(), node.inputs.end(), value.name) != node.inputs.end()) {
        consumer = "node '" + node.name + "'";
        break;
      }
    }
    return Error(ErrorCode::kInvalidArgument,
                 std::string(pass) + ": the graph still reads tensor '" + value.tensor +
                     "' through initializer '" + value.name + "' (" + consumer +
                     "); refusing to remove a tensor the model uses")
        .with_tensor(value.tensor);
  }
  return ok_status();
}

Result<Graph> eliminate_dead_code(const Graph& graph, std::vector<PassChange>* changes) {
  GraphData data = graph.data();
  const std::vector<bool> live = find_live_nodes(data);
  std::vector<Node> nodes;
  std::set<std::string> read, read_states;
  for (size_t i = 0; i < data.nodes.size(); ++i) {
    if (!live[i]) {
      changes->push_back(graph_change(PassChange::Kind::kNodeRemoved, data.nodes[i].name,
                                      "no output or tap depends on it"));
      continue;
    }
    for (const std::string& in : data.nodes[i].inputs) read.insert(in);
    const std::string state = data.nodes[i].attr_string("state", "");
    if (!state.empty()) read_states.insert(state);
    nodes.push_back(std::move(data.nodes[i]));
  }
  data.nodes = std::move(nodes);
  read.insert(data.outputs.begin(), data.outputs.end());
  read.insert(data.taps.begin(), data.taps.end());
  std::vector<ValueInfo> values;
  for (ValueInfo& value : data.values) {
    if (value.kind == ValueKind::kInitializer && read.count(value.name) == 0) {
      changes->push_back(graph_change(PassChange::Kind::kInitializerRemoved, value.name,
                                      "no live node reads it"));
      continue;
    }
    values.push_back(std::move(value));
  }
  data.values = std::move(values);
  data.states.erase(std::remove_if(data.states.begin(), data.states.end(),
                                   [&](const StateInfo& s) { return !read_states.count(s.name); }),
                    data.states.end());
  auto rebuilt = Graph::from_data(data);
  if (!rebuilt.ok()) {
    Error error = std::move(rebuilt).error();
    error.code = ErrorCode::kInternal;
    return std::move(error).with_context("while rebuilding the graph after dead-code elimination");
  }
  return rebuilt;
}

Result<PassReport> remove_tensors_and_dead_code(PassContext& context,
                                                const std::map<std::string, std::string>& reasons,
                                                std::string_view pass) {
  PassReport report;
  report.pass = std::string(pass);
  std::set<std::string> names;
  for (const auto& entry : reasons) names.insert(entry.first);
  if (context.graph != nullptr) {
    HFB_TRY(check_graph_does_not_read(*context.graph, names, pass));
    HFB_TRY(Graph cleaned, eliminate_dead_code(*context.graph, &report.changes));
    *context.graph = std::move(cleaned);
  }
  std::vector<PassChange> removed = remove_tensors(&context.model->tensors, reasons);
  report.changes.insert(report.changes.begin(), removed.begin(), removed.end());
  return report;
}

}  // namespace hfb
