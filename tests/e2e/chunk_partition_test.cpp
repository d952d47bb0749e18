// Chunk partition of a real Gemma 4 graph (synthetic weights): every node placed once, boundary
// values and handed-over KV states as the plan says, chunk subgraphs that validate.
#include "passes/chunk_partition.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "models/gemma4/text_graph_builder.h"
#include "models/gemma4/gemma4_synthetic.h"
#include "pipeline/synthetic_model.h"

namespace hfb {
namespace {

struct Partitioned {
  SyntheticModel model;
  Graph graph;
  ChunkPlan plan;
  std::vector<ChunkGraph> chunks;
};

Partitioned partition(const ChunkRequest& request) {
  Partitioned p;
  auto synthetic = with_f32_weights(make_synthetic_gemma4(SyntheticModelSpec{}));
  EXPECT_TRUE(synthetic.ok());
  p.model = std::move(*synthetic);
  auto graph = build_gemma4_text_graph(p.model.model.config, p.model.model.tensors);
  EXPECT_TRUE(graph.ok()) << graph.error().to_string();
  p.graph = std::move(*graph);
  auto plan = plan_chunks(p.model.model.config, p.model.model.tensors, request);
  EXPECT_TRUE(plan.ok()) << plan.error().to_string();
  p.plan = std::move(*plan);
  auto chunks = partition_graph(p.graph, p.plan);
  EXPECT_TRUE(chunks.ok()) << chunks.error().to_string();
  if (chunks.ok()) p.chunks = std::move(*chunks);
  return p;
}

const ChunkGraph& chunk_named(const Partitioned& p, const std::string& name) {
  auto it = std::find_if(p.chunks.begin(), p.chunks.end(),
                         [&](const ChunkGraph& c) { return c.chunk == name; });
  EXPECT_NE(it, p.chunks.end()) << name;
  return *it;
}

bool has(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

TEST(ChunkPartition, FourChunksHandOverHiddenStatePleAndKv) {
  Partitioned p = partition(ChunkRequest::automatic());
  ASSERT_EQ(p.chunks.size(), 6u);  // embeddings, 4 decoder chunks, head
  Status check = check_partition(p.graph, p.chunks);
  ASSERT_TRUE(check.ok()) << check.error().to_string();

  const ChunkGraph& embeddings = chunk_named(p, "embeddings");
  EXPECT_EQ(embeddings.inputs, (std::vector<std::string>{"input_ids"}));
  EXPECT_TRUE(has(embeddings.outputs, "hidden_states.0"));
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(has(embeddings.outputs, "l" + std::to_string(i) + ".ple_input")) << i;
  }
  const ChunkGraph& d0 = chunk_named(p, "decoder.0");
  EXPECT_EQ(d0.inputs, (std::vector<std::string>{"hidden_states.0", "positions", "l0.ple_input"}));
  EXPECT_TRUE(d0.imported_states.empty());
  EXPECT_TRUE(has(d0.outputs, "hidden_states.1"));
  // Shared layers 2 (sliding) and 3 (full) read the caches of layers 0 and 1, as the plan says.
  for (int c = 2; c < 4; ++c) {
    const std::string name = "decoder." + std::to_string(c);
    const ChunkGraph& chunk = chunk_named(p, name);
    std::vector<std::string> expected;
    for (int layer : p.plan.find(name)->shared_kv_layers()) {
      expected.push_back("kv." + std::to_string(layer));
    }
    EXPECT_EQ(chunk.imported_states, expected) << name;
    EXPECT_EQ(expected.size(), 1u);
  }
  const ChunkGraph& head = chunk_named(p, "head");
  EXPECT_TRUE(has(head.outputs, kGraphLogits));
  EXPECT_TRUE(std::any_of(head.data.values.begin(), head.data.values.end(),
                          [](const ValueInfo& v) { return v.tensor == "model.embed_tokens.weight"; }));
  // A chunk that imports no state is a valid graph on its own.
  auto standalone = Graph::from_data(d0.data);
  EXPECT_TRUE(standalone.ok()) << standalone.error().to_string();
}

TEST(ChunkPartition, TwoChunksImportBothProducers) {
  Partitioned p = partition(ChunkRequest::with_count(2));
  ASSERT_TRUE(check_partition(p.graph, p.chunks).ok());
  const ChunkGraph& shared = chunk_named(p, "decoder.1");
  EXPECT_EQ(shared.imported_states, (std::vector<std::string>{"kv.0", "kv.1"}));
  EXPECT_EQ(p.plan.find("decoder.1")->shared_kv_layers(), (std::vector<int>{0, 1}));
  EXPECT_TRUE(has(shared.inputs, "hidden_states.2"));
}

TEST(ChunkPartition, RefusesAPlanThatDoesNotOwnTheGraphsTensors) {
  Partitioned p = partition(ChunkRequest::automatic());
  auto config_only = plan_chunks(p.model.model.config, TensorTable{}, ChunkRequest::automatic());
  ASSERT_TRUE(config_only.ok());
  auto chunks = partition_graph(p.graph, *config_only);
  ASSERT_FALSE(chunks.ok());
  EXPECT_EQ(chunks.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(chunks.error().message.find("no chunk of the plan owns tensor"), std::string::npos);
}

}  // namespace
}  // namespace hfb
