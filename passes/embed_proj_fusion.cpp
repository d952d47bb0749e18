// embed-proj-fusion: checks each tower's embedder chain (by roles and dataflow), notes why nothing
// folds across the weightless RMSNorm, and moves the embedder projection into the tower chunk.
#include "passes/embed_proj_fusion.h"

#include <optional>
#include <vector>

namespace hfb {
namespace {

Error fusion_error(std::string message) {
  return Error(ErrorCode::kInvalidArgument, "embed-proj-fusion: " + std::move(message));
}

/// One tower's embedder as found in the model (and graph).
struct Embedder {
  Tower tower = Tower::kAudio;
  const TensorInfo* projection = nullptr;
  std::string projection_node;  ///< "" when the graph has no subgraph for this tower
  std::vector<std::string> notes;
};

Result<const TensorInfo*> find_projection(const Model& model, Tower tower, int64_t width) {
  const TensorInfo* found = nullptr;
  for (const TensorInfo& t : model.tensors.tensors()) {
    if (t.role != Role::kEmbedderProjection || t.tower != tower || !t.used) continue;
    if (found) return fusion_error("two embedder projections for the " + std::string(tower_name(tower)) + " tower");
    found = &t;
  }
  if (!found) {
    return fusion_error("the " + std::string(tower_name(tower)) + " tower has no embedder projection");
  }
  const int64_t text = model.config.text.hidden_size;
  if (found->shape.rank() != 2 || found->shape[0] != text || found->shape[1] != width) {
    return fusion_error("embedder projection is " + found->shape.to_string() + ", expected [" +
                        std::to_string(text) + ", " + std::to_string(width) + "] (text hidden, tower width)")
        .with_tensor(found->name);
  }
  return found;
}

/// The node producing `value`, or nullptr (a graph input or initializer).
const Node* producer(const Graph& graph, const std::string& value) {
  for (const Node& node : graph.nodes()) {
    if (!node.outputs.empty() && node.outputs[0] == value) return &node;
  }
  return nullptr;
}

/// Role of input `index` of `node` when it is an initializer.
std::optional<Role> initializer_role(const Graph& graph, const Node& node, size_t index) {
  if (index >= node.inputs.size() || node.inputs[index].empty()) return std::nullopt;
  const ValueInfo* value = graph.find_value(node.inputs[index]);
  if (!value || value->kind != ValueKind::kInitializer) return std::nullopt;
  return value->role;
}

bool is_op(const Node* node, OpType op) { return node != nullptr && node->op == op; }

/// Checks the tower output feeding the norm: audio linear(output_proj) + bias_add(bias); vision
/// standardize(bias, scale) or a reshape (no standardize). Returns the note on folding.
Result<std::string> check_tower_output(const Graph& graph, Tower tower, const Node* out, const Node& norm) {
  const std::string blocked = "rms_norm '" + norm.name + "' (weightless: x/rms(x) is not linear) sits between ";
  if (tower == Tower::kAudio) {
    const Node* linear = is_op(out, OpType::kBiasAdd) ? producer(graph, out->inputs[0]) : nullptr;
    if (!linear || initializer_role(graph, *out, 1) != Role::kAudioOutputBias || !is_op(linear, OpType::kLinear) ||
        initializer_role(graph, *linear, 1) != Role::kAudioOutputProjection) {
      return fusion_error("audio rms_norm '" + norm.name + "' is not fed by output_proj (linear + bias_add)");
    }
    return blocked + "output_proj '" + linear->name + "' + bias '" + out->name +
           "' and the embedding projection: no fold across it (output_proj's bias stays a bias_add: linear has "
           "no bias input)";
  }
  if (is_op(out, OpType::kStandardize) && initializer_role(graph, *out, 1) == Role::kVisionStandardizeBias &&
      initializer_role(graph, *out, 2) == Role::kVisionStandardizeScale) {
    return blocked + "standardize '" + out->name + "' and the embedding projection: no fold across it";
  }
  if (is_op(out, OpType::kReshape)) return std::string("vision tower output '") + out->name + "' is a reshape: nothing to fold";
  return fusion_error("vision rms_norm '" + norm.name + "' is not fed by standardize or the pooled reshape");
}

/// Finds the embedder chain of `embedder` in `graph` (a graph built without this tower has none).
Status check_graph(const Graph& graph, Embedder* embedder) {
  std::string init;
  for (const ValueInfo& v : graph.data().values) {
    if (v.kind == ValueKind::kInitializer && v.tensor == embedder->projection->name) init = v.name;
  }
  const std::string tower(tower_name(embedder->tower));
  if (init.empty()) {
    embedder->notes.push_back(tower + ": the graph has no " + tower + " subgraph (only the plan changes)");
    return ok_status();
  }
  const Node* linear = nullptr;
  for (const Node& node : graph.nodes()) {
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] != init) continue;
      if (linear || node.op != OpType::kLinear || i != 1) {
        return fusion_error("embedder projection read by node '" + node.name + "' other than as one linear's weight")
            .with_tensor(embedder->projection->name);
      }
      linear = &node;
    }
  }
  const Node* norm = linear ? producer(graph, linear->inputs[0]) : nullptr;
  if (!is_op(norm, OpType::kRmsNorm) || (norm->inputs.size() > 1 && !norm->inputs[1].empty())) {
    return fusion_error("the " + tower + " embedder projection is not fed by a weightless rms_norm")
        .with_tensor(embedder->projection->name);
  }
  HFB_TRY(std::string note, check_tower_output(graph, embedder->tower, producer(graph, norm->inputs[0]), *norm));
  embedder->projection_node = linear->name;
  embedder->notes.push_back(tower + ": " + note);
  embedder->notes.push_back(tower + ": rms_norm '" + norm->name + "' already runs in the " + tower +
                            " chunk (it reads only the tower output)");
  return ok_status();
}

void report_move(const Embedder& e, PassReport* report) {
  const std::string tower(tower_name(e.tower));
  PassChange tensor;
  tensor.kind = PassChange::Kind::kTensorMoved;
  tensor.name = e.projection->name;
  tensor.role = e.projection->role;
  tensor.tower = e.tower;
  tensor.bytes = e.projection->num_bytes;
  tensor.reason = "embeddings piece -> " + tower + " chunk, which now emits " + e.projection->shape.to_string() +
                  "-projected soft tokens";
  report->changes.push_back(tensor);
  if (!e.projection_node.empty()) {
    PassChange node;
    node.kind = PassChange::Kind::kNodeMoved;
    node.name = e.projection_node;
    node.role = e.projection->role;
    node.tower = e.tower;
    node.reason = "embeddings piece -> " + tower + " chunk (reads the moved projection)";
    report->changes.push_back(node);
  }
  report->notes.insert(report->notes.end(), e.notes.begin(), e.notes.end());
}

}  // namespace

Result<PassReport> EmbedProjFusionPass::run(PassContext& context) const {
  PassReport report;
  report.pass = std::string(name());
  if (context.chunk_request.embedders_in_towers) {
    report.notes.push_back("embedders already in their tower chunks");
    return report;
  }
  const Model& model = *context.model;
  std::vector<Embedder> embedders;
  if (model.config.audio) {
    HFB_TRY(const TensorInfo* t, find_projection(model, Tower::kAudio, model.config.audio->output_proj_dims));
    embedders.push_back(Embedder{Tower::kAudio, t, "", {}});
  }
  if (model.config.vision) {
    HFB_TRY(const TensorInfo* t, find_projection(model, Tower::kVision, model.config.vision->hidden_size));
    embedders.push_back(Embedder{Tower::kVision, t, "", {}});
  }
  for (Embedder& e : embedders) {
    if (context.graph) HFB_TRY(check_graph(*context.graph, &e));
  }
  ChunkRequest request = context.chunk_request;
  request.embedders_in_towers = true;
  if (context.chunk_plan && !embedders.empty()) {
    HFB_TRY(context.chunk_plan, plan_chunks(model.config, model.tensors, request));
    report.notes.push_back("chunk plan re-made with the embedders in the tower chunks");
  }
  context.chunk_request = request;
  if (embedders.empty()) report.notes.push_back("no audio or vision tower: nothing to move");
  for (const Embedder& e : embedders) report_move(e, &report);
  return report;
}

}  // namespace hfb
