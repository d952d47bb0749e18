// conv-norm-swap: structural matching by initializer roles and dataflow, never by tensor names.
#include "passes/conv_norm_swap.h"

#include <map>
#include <optional>

namespace hfb {
namespace {

Error refuse(const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "conv-norm-swap: " + why);
}

class GraphIndex {
 public:
  explicit GraphIndex(const GraphData& data) : data_(data) {
    for (size_t i = 0; i < data.nodes.size(); ++i) {
      for (const std::string& out : data.nodes[i].outputs) producer_[out] = static_cast<int>(i);
      for (const std::string& in : data.nodes[i].inputs) consumers_[in].push_back(static_cast<int>(i));
    }
    for (const ValueInfo& v : data.values) values_[v.name] = &v;
  }

  /// The role of input `k` of node `i` if it is an initializer.
  std::optional<Role> initializer_role(int i, size_t k) const {
    const std::vector<std::string>& inputs = data_.nodes[i].inputs;
    if (k >= inputs.size()) return std::nullopt;
    auto it = values_.find(inputs[k]);
    if (it == values_.end() || it->second->kind != ValueKind::kInitializer) return std::nullopt;
    return it->second->role;
  }

  /// Nodes that only clip their first input (clamp, or clip against clip-bound initializers).
  bool is_pass_through(int i) const {
    const Node& node = data_.nodes[i];
    if (node.op == OpType::kRmsNorm || node.inputs.empty()) return false;
    for (size_t k = 1; k < node.inputs.size(); ++k) {
      if (initializer_role(i, k) != Role::kClipBound) return false;
    }
    return node.op == OpType::kClamp || node.inputs.size() == 3;
  }

  /// Walks up input 0 from node `i` through pass-through nodes to an rms_norm, or -1.
  int norm_above(int i) const {
    for (int n = producer(data_.nodes[i].inputs[0]); n >= 0; n = producer(data_.nodes[n].inputs[0])) {
      if (data_.nodes[n].op == OpType::kRmsNorm) return n;
      if (!is_pass_through(n)) return -1;
    }
    return -1;
  }

  /// Walks down single consumers from node `i` through pass-through nodes to an rms_norm, or -1.
  int norm_below(int i) const {
    for (int n = i;;) {
      auto it = consumers_.find(data_.nodes[n].outputs[0]);
      if (it == consumers_.end() || it->second.size() != 1) return -1;
      n = it->second[0];
      if (data_.nodes[n].op == OpType::kRmsNorm) return n;
      if (!is_pass_through(n)) return -1;
    }
  }

  const ValueInfo* value(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : it->second;
  }

 private:
  int producer(const std::string& value) const {
    auto it = producer_.find(value);
    return it == producer_.end() ? -1 : it->second;
  }

  const GraphData& data_;
  std::map<std::string, int> producer_;
  std::map<std::string, std::vector<int>> consumers_;
  std::map<std::string, const ValueInfo*> values_;
};

/// Per audio layer: the pre-norm node (above linear_start) and the conv-norm node (below the conv).
Result<std::map<int, std::pair<int, int>>> find_blocks(const GraphData& data, const GraphIndex& index) {
  std::map<int, std::pair<int, int>> blocks;
  for (size_t i = 0; i < data.nodes.size(); ++i) {
    for (size_t k = 1; k < data.nodes[i].inputs.size(); ++k) {
      const std::optional<Role> role = index.initializer_role(static_cast<int>(i), k);
      if (role != Role::kAudioLconvStart && role != Role::kAudioDepthwiseConv) continue;
      const int layer = index.value(data.nodes[i].inputs[k])->layer;
      const bool start = role == Role::kAudioLconvStart;
      const int norm = start ? index.norm_above(static_cast<int>(i)) : index.norm_below(static_cast<int>(i));
      if (norm < 0 || data.nodes[norm].inputs.size() < 2 || data.nodes[norm].inputs[1].empty()) {
        return refuse("audio layer " + std::to_string(layer) + ": no weighted rms_norm " +
                      (start ? "before linear_start" : "after the depthwise conv") + " (node '" +
                      data.nodes[i].name + "')");
      }
      auto& block = blocks.try_emplace(layer, -1, -1).first->second;
      (start ? block.first : block.second) = norm;
    }
  }
  for (const auto& [layer, block] : blocks) {
    if (block.first < 0 || block.second < 0) {
      return refuse("audio layer " + std::to_string(layer) + ": light-conv block incomplete");
    }
  }
  return blocks;
}

PassChange rewire(const Node& node, const ValueInfo& now_reads, const std::string& was) {
  PassChange change;
  change.kind = PassChange::Kind::kTensorRewired;
  change.name = node.name;
  change.role = now_reads.role;
  change.tower = Tower::kAudio;
  change.layer = now_reads.layer;
  change.reason = "now reads " + now_reads.tensor + " (was " + was + ")";
  return change;
}

}  // namespace

Result<PassReport> ConvNormSwapPass::run(PassContext& context) const {
  if (context.graph == nullptr) return refuse("needs the op graph (the norms are told apart by it)");
  GraphData data = context.graph->data();
  GraphIndex index(data);
  HFB_TRY(auto blocks, find_blocks(data, index));
  PassReport report;
  report.pass = std::string(name());
  for (const auto& [layer, block] : blocks) {
    Node& pre = data.nodes[block.first];
    Node& conv = data.nodes[block.second];
    const ValueInfo* pre_w = index.value(pre.inputs[1]);
    const ValueInfo* conv_w = index.value(conv.inputs[1]);
    if (pre_w == nullptr || conv_w == nullptr || pre_w->dims != conv_w->dims) {
      return refuse("audio layer " + std::to_string(layer) + ": the two norm weights differ in shape");
    }
    std::swap(pre.inputs[1], conv.inputs[1]);
    report.changes.push_back(rewire(pre, *conv_w, pre_w->tensor));
    report.changes.push_back(rewire(conv, *pre_w, conv_w->tensor));
  }
  if (blocks.empty()) report.notes.push_back("no audio light-conv blocks in the graph");
  auto rebuilt = Graph::from_data(data);
  if (!rebuilt.ok()) return std::move(rebuilt).error().with_context("conv-norm-swap: rebuilding the graph");
  *context.graph = std::move(rebuilt).value();
  return report;
}

}  // namespace hfb
