// Gemma 4 graph builder + interpreter on synthetic models: KV-sharing source selection, dead-initializer
// rules, missing tensors, and cached decoding equal to a full recompute (incl. past the sliding window).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "models/gemma4/text_graph_builder.h"
#include "models/gemma4/gemma4_synthetic.h"
#include "pipeline/synthetic_model.h"
#include "runtime/graph_interpreter.h"
#include "runtime/graph_session.h"

namespace hfb {
namespace {

SyntheticModel make_model(SyntheticModelSpec spec = {}) {
  auto model = with_f32_weights(make_synthetic_gemma4(spec));
  EXPECT_TRUE(model.ok()) << model.error().to_string();
  return std::move(model).value();
}

const Node* find_node(const Graph& graph, const std::string& name) {
  for (const Node& node : graph.nodes()) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

TEST(RuntimeGraph, KvSharedLayersReadTheirSourceState) {
  SyntheticModelSpec spec;
  spec.num_layers = 7;
  spec.full_every = 3;  // S S F S S F S; layers 4..6 shared: 4 (S) <- 3, 5 (F) <- 2, 6 (S) <- 3
  spec.num_kv_shared_layers = 3;
  SyntheticModel m = make_model(spec);
  EXPECT_EQ(m.model.config.text.layers[5].kv_shared_from, 2);
  auto graph = build_gemma4_text_graph(m.model.config, m.model.tensors);
  ASSERT_TRUE(graph.ok()) << graph.error().to_string();
  struct Expect {
    int layer;
    std::string state;
    int64_t writes;
    int64_t window;
  };
  for (const Expect& e : std::vector<Expect>{{0, "kv.0", 1, 8}, {2, "kv.2", 1, 0}, {3, "kv.3", 1, 8},
                                             {4, "kv.3", 0, 8}, {5, "kv.2", 0, 0}, {6, "kv.3", 0, 8}}) {
    const Node* node = find_node(*graph, "l" + std::to_string(e.layer) + ".attn");
    ASSERT_NE(node, nullptr) << e.layer;
    EXPECT_EQ(node->attr_string("state", ""), e.state) << e.layer;
    EXPECT_EQ(node->attr_int("writes_state", -1), e.writes) << e.layer;
    EXPECT_EQ(node->attr_int("window", -1), e.window) << e.layer;
    EXPECT_EQ(node->inputs[1].empty(), e.writes == 0) << e.layer;
  }
  EXPECT_EQ(graph->data().states.size(), 4u);
  EXPECT_EQ(find_node(*graph, "l4.k"), nullptr);  // shared layers compute no K/V
}

TEST(RuntimeGraph, UsedLeftoverTensorIsAnErrorUnusedIsNotWired) {
  SyntheticModel m = make_model();
  TensorInfo extra = *m.model.tensors.find("model.layers.0.self_attn.k_proj.weight");
  extra.name = "model.layers.3.self_attn.k_proj.weight";  // release checkpoints carry these on shared layers
  ASSERT_TRUE(m.model.tensors.add(extra));
  auto graph = build_gemma4_text_graph(m.model.config, m.model.tensors);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().tensor, extra.name);
  m.model.tensors.find_mutable(extra.name)->used = false;
  graph = build_gemma4_text_graph(m.model.config, m.model.tensors);
  ASSERT_TRUE(graph.ok()) << graph.error().to_string();
  EXPECT_EQ(graph->find_value(extra.name), nullptr);
}

TEST(RuntimeGraph, MissingTensorNamesIt) {
  SyntheticModel m = make_model();
  TensorTable table;
  for (const TensorInfo& info : m.model.tensors.tensors()) {
    if (info.name != "model.layers.1.mlp.up_proj.weight") table.add(info);
  }
  auto graph = build_gemma4_text_graph(m.model.config, table);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(graph.error().tensor, "model.layers.1.mlp.up_proj.weight");
}

TEST(RuntimeGraph, WrongShapeFailsAtBuildTime) {
  SyntheticModel m = make_model();
  m.model.tensors.find_mutable("model.layers.2.mlp.down_proj.weight")->shape = Shape{64, 100};
  auto graph = build_gemma4_text_graph(m.model.config, m.model.tensors);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(graph.error().message.find("[64, 100]"), std::string::npos) << graph.error().to_string();
}

double max_abs_diff(const float* a, const float* b, int64_t n) {
  double d = 0.0;
  for (int64_t i = 0; i < n; ++i) d = std::max(d, std::fabs(static_cast<double>(a[i]) - b[i]));
  return d;
}

// Decoding token by token through the caches must equal recomputing the whole sequence.
void expect_decode_matches_recompute(const SyntheticModelSpec& spec) {
  SyntheticModel m = make_model(spec);
  auto graph = build_gemma4_text_graph(m.model.config, m.model.tensors);
  ASSERT_TRUE(graph.ok()) << graph.error().to_string();
  auto session = make_graph_session(*graph, m.weights, spec.num_layers);
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  std::vector<int64_t> ids{2, 17, 5, 99, 3, 3, 40, 8, 250, 1, 64, 77, 12, 31, 200, 9, 5, 6, 7};  // > 2 windows
  auto full = (*session)->prefill(ids, nullptr, nullptr);
  ASSERT_TRUE(full.ok()) << full.error().to_string();
  const int64_t vocab = (*session)->vocab_size();
  ASSERT_EQ(full->rows, static_cast<int64_t>(ids.size()));
  auto prefix = (*session)->prefill({ids.begin(), ids.begin() + 3}, nullptr, nullptr);
  ASSERT_TRUE(prefix.ok());
  EXPECT_LT(max_abs_diff(prefix->row(2), full->row(2), vocab), 1e-5);
  for (size_t t = 3; t < ids.size(); ++t) {
    auto step = (*session)->decode(ids[t]);
    ASSERT_TRUE(step.ok()) << step.error().to_string();
    EXPECT_LT(max_abs_diff(step->row(0), full->row(static_cast<int64_t>(t)), vocab), 1e-4) << "step " << t;
  }
}

TEST(RuntimeGraph, CachedDecodeEqualsRecompute) { expect_decode_matches_recompute({}); }

TEST(RuntimeGraph, CachedDecodeEqualsRecomputeKEqV) {
  SyntheticModelSpec spec;
  spec.num_layers = 5;
  spec.k_eq_v = true;
  spec.double_wide_mlp = true;
  spec.num_kv_heads = 2;
  spec.num_heads = 4;
  spec.sliding_window = 5;
  expect_decode_matches_recompute(spec);
}

// prefill_last: the logits tail (head + softcap) runs on the last position only; taps and caches are prefill's.
TEST(RuntimeGraph, PrefillLastGivesTheLastRowWithTheSameTapsAndCaches) {
  SyntheticModelSpec spec;
  spec.num_layers = 5;
  SyntheticModel m = make_model(spec);
  auto graph = build_gemma4_text_graph(m.model.config, m.model.tensors);
  ASSERT_TRUE(graph.ok()) << graph.error().to_string();
  auto session = make_graph_session(*graph, m.weights, spec.num_layers);
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  const std::vector<int64_t> ids{2, 17, 5, 99, 3, 40, 8, 250, 1, 64, 77};
  const int64_t vocab = (*session)->vocab_size();
  Taps all_taps, last_taps;
  auto all = (*session)->prefill(ids, nullptr, &all_taps);
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  auto after_all = (*session)->decode(31);
  ASSERT_TRUE(after_all.ok());
  auto last = (*session)->prefill_last(ids, nullptr, &last_taps);
  ASSERT_TRUE(last.ok()) << last.error().to_string();
  ASSERT_EQ(last->rows, 1);
  ASSERT_EQ(last->cols, vocab);
  // The one-row head runs the fused dot instead of the tiled product: equal up to summation order.
  EXPECT_LT(max_abs_diff(last->row(0), all->row(all->rows - 1), vocab), 1e-5);
  ASSERT_EQ(last_taps.size(), all_taps.size());
  for (const auto& [name, value] : all_taps) {
    ASSERT_EQ(last_taps[name].data, value.data) << name;  // every tap is computed for every position, as before
  }
  auto after_last = (*session)->decode(31);
  ASSERT_TRUE(after_last.ok());
  EXPECT_EQ(after_last->data, after_all->data);  // same caches
  auto again = (*session)->prefill(ids, nullptr, nullptr);  // and prefill computes every row again
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rows, static_cast<int64_t>(ids.size()));
  EXPECT_EQ(again->data, all->data);
  // The interpreter itself holds one row of logits (the head really ran once), the final-norm tap every row.
  auto interpreter = GraphInterpreter::create(*graph, m.weights);
  ASSERT_TRUE(interpreter.ok());
  (*interpreter)->set_logits_last_row(true);
  ASSERT_TRUE((*interpreter)->run(ids).ok());
  auto logits = (*interpreter)->read("logits");
  ASSERT_TRUE(logits.ok());
  EXPECT_EQ(logits->rows, 1);
  auto normed = (*interpreter)->read("hidden_states." + std::to_string(spec.num_layers));
  ASSERT_TRUE(normed.ok());
  EXPECT_EQ(normed->rows, static_cast<int64_t>(ids.size()));
}

TEST(RuntimeGraph, SessionErrors) {
  SyntheticModel m = make_model();
  auto graph = build_gemma4_text_graph(m.model.config, m.model.tensors);
  ASSERT_TRUE(graph.ok());
  auto session = make_graph_session(*graph, m.weights, 4);
  ASSERT_TRUE(session.ok());
  EXPECT_FALSE((*session)->decode(3).ok());  // before prefill
  auto bad = (*session)->prefill({2, 256}, nullptr, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  Taps taps;
  auto good = (*session)->prefill({2, 3}, nullptr, &taps);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(taps.size(), 5u);
  EXPECT_EQ(taps["hidden_states.4"].cols, 64);
  auto empty_weights = std::make_shared<F32WeightStore>();
  EXPECT_FALSE(make_graph_session(*graph, empty_weights, 4).ok());
}

TEST(RuntimeGraph, BufferPlanReusesMemory) {
  SyntheticModel m = make_model();
  auto graph = build_gemma4_text_graph(m.model.config, m.model.tensors);
  ASSERT_TRUE(graph.ok());
  std::vector<std::vector<int>> inputs;
  std::vector<int> outputs;
  auto index = [&](const std::string& name) {
    return name.empty() ? -1 : static_cast<int>(graph->find_value(name) - graph->data().values.data());
  };
  for (const Node& node : graph->nodes()) {
    std::vector<int> in;
    for (const std::string& name : node.inputs) in.push_back(index(name));
    inputs.push_back(in);
    outputs.push_back(index(node.outputs[0]));
  }
  ValueLifetimes life = compute_value_lifetimes(*graph, inputs, outputs);
  BufferPlan plan = plan_buffers(*graph, life, outputs, 10);
  int64_t total = 0;
  for (int out : outputs) total += plan.elements[out];
  EXPECT_LT(plan.arena_floats, total / 2);
  // No node's output overlaps one of its (arena) inputs.
  for (size_t n = 0; n < outputs.size(); ++n) {
    if (life.alias_of[outputs[n]] >= 0) continue;
    for (int in : inputs[n]) {
      if (in < 0 || plan.offsets[in] < 0 || graph->data().values[in].kind != ValueKind::kIntermediate) continue;
      bool disjoint = plan.offsets[in] + plan.elements[in] <= plan.offsets[outputs[n]] ||
                      plan.offsets[outputs[n]] + plan.elements[outputs[n]] <= plan.offsets[in];
      EXPECT_TRUE(disjoint) << graph->nodes()[n].name;
    }
  }
}

}  // namespace
}  // namespace hfb
