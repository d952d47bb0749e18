// Liveness-based arena planning for the graph interpreter.
#include "runtime/buffer_plan.h"

#include <algorithm>
#include <map>

namespace hfb {
namespace {

int root_of(const std::vector<int>& alias_of, int v) {
  while (alias_of[v] >= 0) v = alias_of[v];
  return v;
}

}  // namespace

ValueLifetimes compute_value_lifetimes(const Graph& graph, const std::vector<std::vector<int>>& node_inputs,
                                       const std::vector<int>& node_outputs) {
  const auto& values = graph.data().values;
  const auto& nodes = graph.nodes();
  const int end = static_cast<int>(nodes.size());
  ValueLifetimes life;
  life.defined_by.assign(values.size(), -1);
  life.alias_of.assign(values.size(), -1);
  life.last_use.assign(values.size(), -1);
  for (int n = 0; n < end; ++n) {
    int out = node_outputs[n];
    life.defined_by[out] = n;
    life.last_use[out] = n;
    int in = node_inputs[n].empty() ? -1 : node_inputs[n][0];
    if (nodes[n].op == OpType::kReshape && in >= 0 && values[in].kind == ValueKind::kIntermediate) {
      life.alias_of[out] = in;
    }
  }
  auto extend = [&](int v, int until) {
    int root = root_of(life.alias_of, v);
    life.last_use[root] = std::max(life.last_use[root], until);
  };
  for (int n = 0; n < end; ++n) {
    for (int v : node_inputs[n]) {
      if (v >= 0) extend(v, n);
    }
    if (nodes[n].op == OpType::kAttention && nodes[n].attr_int("writes_state", 0) != 0) {
      extend(node_inputs[n][1], end);
      extend(node_inputs[n][2], end);
    }
    extend(node_outputs[n], n);
  }
  for (const auto* names : {&graph.data().outputs, &graph.data().taps}) {
    for (const std::string& name : *names) {
      for (size_t v = 0; v < values.size(); ++v) {
        if (values[v].name == name) extend(static_cast<int>(v), end);
      }
    }
  }
  return life;
}

BufferPlan plan_buffers(const Graph& graph, const ValueLifetimes& life, const std::vector<int>& node_outputs,
                        int64_t length, const std::vector<char>* one_row) {
  const auto& values = graph.data().values;
  BufferPlan plan;
  plan.length = length;
  plan.dims.resize(values.size());
  plan.elements.assign(values.size(), 0);
  plan.offsets.assign(values.size(), -1);
  for (size_t v = 0; v < values.size(); ++v) {
    int64_t count = 1;
    const int64_t seq = one_row != nullptr && (*one_row)[v] != 0 ? 1 : length;
    for (int64_t d : values[v].dims) {
      int64_t resolved = d == kSeqDim ? seq : d;
      plan.dims[v].push_back(resolved);
      count *= resolved;
    }
    plan.elements[v] = count;
  }
  std::map<int64_t, std::pair<int64_t, int>> live;  // offset -> (size, root value)
  for (size_t n = 0; n < node_outputs.size(); ++n) {
    int out = node_outputs[n];
    if (life.alias_of[out] >= 0) {
      plan.offsets[out] = plan.offsets[root_of(life.alias_of, out)];
      continue;
    }
    for (auto it = live.begin(); it != live.end();) {
      it = life.last_use[it->second.second] < static_cast<int>(n) ? live.erase(it) : std::next(it);
    }
    int64_t size = (plan.elements[out] + 15) / 16 * 16;  // 64-byte granularity
    int64_t offset = 0;
    for (const auto& [start, block] : live) {
      if (start - offset >= size) break;
      offset = std::max(offset, start + block.first);
    }
    live[offset] = {size, out};
    plan.offsets[out] = offset;
    plan.arena_floats = std::max(plan.arena_floats, offset + size);
  }
  return plan;
}

}  // namespace hfb
