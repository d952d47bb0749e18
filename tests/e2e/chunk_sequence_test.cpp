// Running the chunk subgraphs of a multi-chunk plan in sequence (hidden state, positions, PLE slices and
// the shared K/V handed over at the boundaries) gives the whole graph's logits on the sample fixture:
// prefill past the sliding window, then greedy decode steps.
#include <gtest/gtest.h>

#include <algorithm>

#include "models/gemma4/text_graph_builder.h"
#include "models/load_checkpoint.h"
#include "passes/chunk_partition.h"
#include "passes/chunk_plan.h"
#include "runtime/chunk_sequence.h"
#include "runtime/weight_store.h"

namespace hfb {
namespace {

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

int64_t argmax_last_row(const Matrix& m) {
  const float* row = m.row(m.rows - 1);
  return std::max_element(row, row + m.cols) - row;
}

/// Runs prefill + `steps` greedy decode steps through the whole graph and through the chunks; returns
/// the number of chunks that ran. Logits must agree bit for bit (same kernels, same order).
size_t expect_same_logits(const ChunkRequest& request, int steps) {
  auto model = load_checkpoint(kFixtures + "sample");
  EXPECT_TRUE(model.ok()) << model.error().to_string();
  if (!model.ok()) return 0;
  auto graph = build_gemma4_text_graph(model->config, model->tensors);
  EXPECT_TRUE(graph.ok()) << graph.error().to_string();
  auto plan = plan_chunks(model->config, model->tensors, request);
  EXPECT_TRUE(plan.ok()) << plan.error().to_string();
  auto chunks = partition_graph(*graph, *plan);
  EXPECT_TRUE(chunks.ok()) << chunks.error().to_string();
  auto store = F32WeightStore::create(*graph, model->tensors);
  EXPECT_TRUE(store.ok()) << store.error().to_string();
  if (!graph.ok() || !plan.ok() || !chunks.ok() || !store.ok()) return 0;
  std::shared_ptr<const WeightStore> weights(std::move(*store));
  auto whole = GraphInterpreter::create(*graph, weights);
  EXPECT_TRUE(whole.ok()) << whole.error().to_string();
  auto runner = ChunkSequence::create(*chunks, weights);
  EXPECT_TRUE(runner.ok()) << runner.error().to_string();
  if (!whole.ok() || !runner.ok()) return 0;

  // 11 tokens: longer than the sliding window (8), so the shared sliding cache has wrapped.
  std::vector<int64_t> ids = {2, 17, 300, 45, 9, 77, 128, 3, 64, 250, 11};
  for (int step = 0; step <= steps; ++step) {
    EXPECT_TRUE((*whole)->run(ids).ok());
    auto expected = (*whole)->read(kGraphLogits);
    EXPECT_TRUE((*runner)->step(ids, nullptr).ok());
    auto got = (*runner)->value(kGraphLogits);
    EXPECT_TRUE(expected.ok() && got.ok()) << (got.ok() ? "" : got.error().to_string());
    if (!expected.ok() || !got.ok()) return 0;
    EXPECT_EQ(got->rows, static_cast<int64_t>(ids.size()));
    EXPECT_EQ(got->data, expected->data) << "step " << step;
    ids = {argmax_last_row(*expected)};
  }
  return (*runner)->names().size();
}

TEST(ChunkSequence, FourChunkPlanMatchesWholeGraph) {
  // embeddings, decoder [0,1) [1,2) [2,3) [3,4), head; decoder.2 and .3 read layers 0 and 1's K/V.
  EXPECT_EQ(expect_same_logits(ChunkRequest::automatic(), 4), 6u);
}

TEST(ChunkSequence, TwoChunkPlanMatchesWholeGraph) {
  EXPECT_EQ(expect_same_logits(ChunkRequest::with_count(2), 4), 4u);
}

TEST(ChunkSequence, ImportedStateIsMarkedAndNeedsItsWriter) {
  auto model = load_checkpoint(kFixtures + "sample");
  ASSERT_TRUE(model.ok());
  auto graph = build_gemma4_text_graph(model->config, model->tensors);
  ASSERT_TRUE(graph.ok());
  auto plan = plan_chunks(model->config, model->tensors, ChunkRequest::with_count(2));
  ASSERT_TRUE(plan.ok());
  auto chunks = partition_graph(*graph, *plan);
  ASSERT_TRUE(chunks.ok());
  const ChunkGraph& shared = (*chunks)[2];
  ASSERT_EQ(shared.chunk, "decoder.1");
  for (const StateInfo& state : shared.data.states) EXPECT_TRUE(state.imported) << state.name;
  auto store = F32WeightStore::create(*graph, model->tensors);
  ASSERT_TRUE(store.ok());
  auto sub = Graph::from_data(shared.data);
  ASSERT_TRUE(sub.ok()) << sub.error().to_string();
  auto interpreter = GraphInterpreter::create(std::move(*sub), std::shared_ptr<const WeightStore>(std::move(*store)));
  ASSERT_TRUE(interpreter.ok());
  // Boundary inputs not set: refused, naming the input.
  Status run = (*interpreter)->run({1, 2});
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.error().message.find("boundary input"), std::string::npos);
  EXPECT_FALSE((*interpreter)->share_state("kv.0", nullptr).ok());
}

}  // namespace
}  // namespace hfb
