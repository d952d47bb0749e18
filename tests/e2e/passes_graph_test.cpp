// Passes over a real Gemma 4 op graph (synthetic weights): the default pipeline strips release
// extras, keeps the graph valid, and the interpreter's logits are bit-identical before and after;
// dead-code elimination removes only what is dead.
#include <gtest/gtest.h>

#include "models/gemma4/text_graph_builder.h"
#include "passes/graph_edit.h"
#include "passes/pass_registry.h"
#include "models/gemma4/gemma4_synthetic.h"
#include "pipeline/synthetic_model.h"
#include "runtime/graph_interpreter.h"

namespace hfb {
namespace {

const std::vector<int64_t> kPrompt{2, 17, 99, 3, 250, 41, 7, 8, 9, 10, 11};

/// Adds what release checkpoints carry on KV-shared layers (k_proj, v_proj, k_norm), flagged
/// unused the way the reader flags them. Returns their total bytes.
uint64_t add_release_extras(Model* model) {
  uint64_t bytes = 0;
  for (const TextLayerSpec& spec : model->config.text.layers) {
    if (spec.kv_shared_from < 0) continue;
    const std::string from = "model.layers." + std::to_string(spec.kv_shared_from) + ".self_attn.";
    const std::string to = "model.layers." + std::to_string(spec.index) + ".self_attn.";
    for (const char* what : {"k_proj.weight", "v_proj.weight", "k_norm.weight"}) {
      TensorInfo extra = *model->tensors.find(from + what);
      extra.name = to + what;
      extra.layer = spec.index;
      extra.used = false;
      extra.unused_reason = "kv-shared layer";
      bytes += extra.num_bytes;
      EXPECT_TRUE(model->tensors.add(extra));
    }
  }
  return bytes;
}

Matrix run_logits(const Graph& graph, std::shared_ptr<const WeightStore> weights) {
  auto interpreter = GraphInterpreter::create(graph, std::move(weights));
  EXPECT_TRUE(interpreter.ok()) << interpreter.error().to_string();
  if (!interpreter.ok()) return {};
  Status run = (*interpreter)->run(kPrompt);
  EXPECT_TRUE(run.ok()) << run.error().to_string();
  auto logits = (*interpreter)->read(kGraphLogits);
  EXPECT_TRUE(logits.ok());
  return logits.ok() ? *logits : Matrix{};
}

TEST(PassesOnGraph, DefaultPassesKeepLogitsBitIdentical) {
  auto synthetic = with_f32_weights(make_synthetic_gemma4(SyntheticModelSpec{}));
  ASSERT_TRUE(synthetic.ok()) << synthetic.error().to_string();
  Model& model = synthetic->model;
  const uint64_t extra_bytes = add_release_extras(&model);
  auto graph = build_gemma4_text_graph(model.config, model.tensors);
  ASSERT_TRUE(graph.ok()) << graph.error().to_string();
  const Matrix before = run_logits(*graph, synthetic->weights);
  const size_t nodes_before = graph->nodes().size();

  PassContext context;
  context.model = &model;
  context.graph = &*graph;
  auto passes = resolve_passes({}, {});
  ASSERT_TRUE(passes.ok());
  auto reports = run_passes(context, *passes);
  ASSERT_TRUE(reports.ok()) << reports.error().to_string();
  const PassReport& strip = (*reports)[0];
  EXPECT_EQ(strip.count(PassChange::Kind::kTensorRemoved), 6u);
  EXPECT_EQ(strip.bytes_saved(), extra_bytes);
  EXPECT_EQ(strip.count(PassChange::Kind::kNodeRemoved), 0u);  // the builder never wired them
  EXPECT_EQ(graph->nodes().size(), nodes_before);
  ASSERT_TRUE(context.chunk_plan.has_value());
  EXPECT_EQ(context.chunk_plan->decoder_ranges(),
            (std::vector<LayerRange>{{0, 1}, {1, 2}, {2, 3}, {3, 4}}));

  // The stripped table alone still builds the same graph, and its weights give the same logits.
  auto rebuilt = build_gemma4_text_graph(model.config, model.tensors);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().to_string();
  EXPECT_EQ(rebuilt->to_text(), graph->to_text());
  auto store = F32WeightStore::create(*graph, model.tensors);
  ASSERT_TRUE(store.ok()) << store.error().to_string();
  const Matrix after = run_logits(*graph, std::shared_ptr<const WeightStore>(std::move(*store)));
  ASSERT_EQ(after.data.size(), before.data.size());
  EXPECT_EQ(after.data, before.data);

  auto again = run_passes(context, *passes);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE((*again)[0].changed());
  EXPECT_FALSE((*again)[1].changed());
}

TEST(PassesOnGraph, DeadCodeEliminationKeepsStatesAndTaps) {
  auto synthetic = with_f32_weights(make_synthetic_gemma4(SyntheticModelSpec{}));
  ASSERT_TRUE(synthetic.ok());
  auto graph = build_gemma4_text_graph(synthetic->model.config, synthetic->model.tensors);
  ASSERT_TRUE(graph.ok());
  std::vector<PassChange> changes;
  auto clean = eliminate_dead_code(*graph, &changes);
  ASSERT_TRUE(clean.ok()) << clean.error().to_string();
  EXPECT_TRUE(changes.empty());  // every node feeds logits, a tap or a state a live node reads

  // A dead branch hanging off a tap goes, and only it.
  GraphData data = graph->data();
  Node dead;
  dead.name = dead.outputs.emplace_back("dead.gelu");
  dead.op = OpType::kGeluTanh;
  dead.inputs = {"hidden_states.2"};
  data.nodes.push_back(dead);
  auto with_dead = Graph::from_data(data);
  ASSERT_TRUE(with_dead.ok()) << with_dead.error().to_string();
  auto cleaned = eliminate_dead_code(*with_dead, &changes);
  ASSERT_TRUE(cleaned.ok());
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].name, "dead.gelu");
  EXPECT_EQ(cleaned->to_text(), graph->to_text());
  EXPECT_EQ(run_logits(*cleaned, synthetic->weights).data, run_logits(*graph, synthetic->weights).data);
}

}  // namespace
}  // namespace hfb
