// Graph templates: media dims of a prompt, dropping the towers a prompt lacks, and the template Session
// (the chunked Session of validators/chunk_sequence.h with the whole graph as its one chunk).
#include "runtime/graph_template.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/graph_io.h"
#include "runtime/chunk_sequence.h"
#include "runtime/graph_interpreter.h"

namespace hfb {
namespace {

Error template_error(const std::string& message) { return Error(ErrorCode::kInvalidArgument, message); }

bool reads_any(const Node& node, const std::set<std::string>& values, size_t first) {
  for (size_t i = first; i < node.inputs.size(); ++i) {
    if (!node.inputs[i].empty() && values.count(node.inputs[i])) return true;
  }
  return false;
}

// Nodes of `whole` that survive without `dropped` values; scatters losing only their soft tokens become
// identity reshapes. Adds every value computed from a dropped one to `dropped`.
std::vector<Node> surviving_nodes(const GraphData& whole, std::set<std::string>* dropped) {
  std::vector<Node> kept;
  for (const Node& node : whole.nodes) {
    if (!reads_any(node, *dropped, 0)) {
      kept.push_back(node);
      continue;
    }
    const bool embeds_survive = !node.inputs.empty() && !dropped->count(node.inputs[0]);
    if (node.op == OpType::kScatterTokens && embeds_survive) {
      Node identity = node;
      identity.op = OpType::kReshape;
      identity.inputs = {node.inputs[0]};
      identity.attributes = {{"shape", std::vector<int64_t>{0, 0}}};
      kept.push_back(std::move(identity));
      continue;
    }
    for (const std::string& out : node.outputs) dropped->insert(out);
  }
  return kept;
}

// Drops nodes nothing live reads any more (e.g. a dropped tower's input-free position table); outputs,
// taps and state writers are live.
std::vector<Node> live_nodes(std::vector<Node> nodes, const GraphData& whole, std::set<std::string>* dropped) {
  std::set<std::string> live(whole.outputs.begin(), whole.outputs.end());
  live.insert(whole.taps.begin(), whole.taps.end());
  std::vector<bool> keep(nodes.size(), false);
  for (size_t i = nodes.size(); i-- > 0;) {
    const Node& node = nodes[i];
    keep[i] = !node.attr_string("state", "").empty();
    for (const std::string& out : node.outputs) keep[i] = keep[i] || (live.count(out) && !dropped->count(out));
    if (!keep[i]) continue;
    live.insert(node.inputs.begin(), node.inputs.end());
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (keep[i]) {
      kept.push_back(std::move(nodes[i]));
    } else {
      dropped->insert(nodes[i].outputs.begin(), nodes[i].outputs.end());
    }
  }
  return kept;
}

/// Two chunks: "media", every node that does not depend on the token inputs (the towers and constants:
/// computed once per prompt), then "all", the rest.
ChunkAssignment media_and_tokens(const Graph& graph) {
  std::set<std::string> per_token;
  for (const char* input : kGraphTokenInputs) per_token.insert(input);
  ChunkAssignment out{{"media", "all"}, {}};
  for (const Node& node : graph.nodes()) {
    const bool token = node.op == OpType::kAttention ||
                       std::any_of(node.inputs.begin(), node.inputs.end(),
                                   [&](const std::string& in) { return per_token.count(in) > 0; });
    if (token) per_token.insert(node.outputs.begin(), node.outputs.end());
    out.node_chunk[node.name] = token ? 1 : 0;
  }
  return out;
}

}  // namespace

std::map<std::string, std::vector<int64_t>> media_input_dims(const MediaInputs& media) {
  std::map<std::string, std::vector<int64_t>> dims;
  const Matrix& f = media.input_features;
  if (f.rows > 0) {
    dims[kGraphInputFeatures] = {f.rows, f.cols};
    dims[kGraphInputFeaturesMask] = {static_cast<int64_t>(media.input_features_mask.size())};
  }
  const Matrix& px = media.pixel_values;
  if (px.rows > 0) {
    dims[kGraphPixelValues] = {px.rows, px.cols};
    dims[kGraphImagePositionIds] = {static_cast<int64_t>(media.image_position_ids.size() / 2), 2};
  }
  return dims;
}

Result<GraphData> drop_graph_inputs(const GraphData& whole, const std::vector<std::string>& absent) {
  std::set<std::string> dropped;
  for (const std::string& name : absent) {
    if (std::find(whole.inputs.begin(), whole.inputs.end(), name) == whole.inputs.end()) {
      return Error(ErrorCode::kNotFound, "graph: cannot drop '" + name + "': not a graph input");
    }
    dropped.insert(name);
  }
  GraphData out;
  out.states = whole.states;
  out.nodes = live_nodes(surviving_nodes(whole, &dropped), whole, &dropped);
  std::set<std::string> read;
  for (const Node& node : out.nodes) read.insert(node.inputs.begin(), node.inputs.end());
  for (const ValueInfo& value : whole.values) {
    if (dropped.count(value.name)) continue;
    if (value.kind == ValueKind::kInitializer && !read.count(value.name)) continue;
    out.values.push_back(value);
  }
  for (const std::string& name : whole.inputs) {
    if (!dropped.count(name)) out.inputs.push_back(name);
  }
  for (const std::string& name : whole.outputs) {
    if (dropped.count(name)) return template_error("graph: output '" + name + "' depends on a dropped input");
    out.outputs.push_back(name);
  }
  for (const std::string& name : whole.taps) {
    if (!dropped.count(name)) out.taps.push_back(name);
  }
  return out;
}

Result<Graph> specialize_for_media(const GraphData& whole, const MediaInputs& media) {
  const std::map<std::string, std::vector<int64_t>> dims = media_input_dims(media);
  std::vector<std::string> absent;
  for (const char* name : kGraphMediaInputs) {
    const bool in_graph = std::find(whole.inputs.begin(), whole.inputs.end(), name) != whole.inputs.end();
    const bool in_prompt = dims.count(name) > 0;
    if (in_prompt && !in_graph) {
      return Error(ErrorCode::kUnsupported, std::string("runtime: the prompt has media for graph input '") + name +
                                                "', which this graph does not have (no such tower)");
    }
    if (in_graph && !in_prompt) absent.push_back(name);
  }
  if (absent.empty()) return respecialize(whole, dims);
  HFB_TRY(GraphData pruned, drop_graph_inputs(whole, absent));
  return respecialize(pruned, dims);
}

Result<std::unique_ptr<Session>> make_graph_template_session(GraphData whole, std::shared_ptr<const WeightStore> weights,
                                                             int num_layers) {
  HFB_TRY(Graph graph, Graph::from_data(whole));
  return make_chunked_session(std::move(whole), media_and_tokens(graph), std::move(weights), num_layers);
}

}  // namespace hfb
