// The large Gemma 4 family (issue 18): the MoE set (26B-A4B-like) and the bidirectional-vision set (31B-like)
// verified from the checkpoint with their router / image-block checks, quantized expert banks stored as E
// stacked matrices (scale, block and LUT counts per expert), verify --against, chunked runs, expert reads.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "readers/bundle/bundle_reader.h"
#include "models/gemma4/text_graph_builder.h"
#include "models/load_checkpoint.h"
#include "tests/writers/bundle_test_util.h"
#include "runtime/graph_interpreter.h"
#include "validators/parity_greedy.h"
#include "pipeline/open_model.h"
#include "runtime/weight_store.h"
#include "pipeline/convert.h"

namespace hfb {
namespace {

using testing::ScratchDir;

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

TEST(FamilyMoe, CheckpointPassesWithEveryRouterDecisionAsGolden) {
  auto report = verify_model(kFixtures + "moe", kFixtures + "moe", VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_TRUE(report->pass);
  ASSERT_EQ(report->cases.size(), 3u);
  for (const CaseReport& c : report->cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(c.moe_routing.has_value());
    EXPECT_EQ(c.moe_routing->layers, 5);
    EXPECT_GT(c.moe_routing->positions, 0);
    EXPECT_EQ(c.moe_routing->mismatched_sets, 0);
    EXPECT_EQ(c.moe_routing->count_mismatches, 0);
    EXPECT_LE(c.moe_routing->max_abs_weight_diff, kRouterWeightTolerance);
    EXPECT_LE(c.max_abs_logit_diff, 1e-3);
  }
}

TEST(FamilyVision, BidirectionalCheckpointPassesEveryCaseWithImageBlocksAsGolden) {
  auto report = verify_model(kFixtures + "vl-bidir", kFixtures + "vl-bidir", VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_TRUE(report->pass);
  int image_cases = 0;
  for (const CaseReport& c : report->cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.status, CaseStatus::kPass) << c.reason;
    if (c.name.rfind("mm_", 0) != 0) continue;
    ++image_cases;
    ASSERT_TRUE(c.image_blocks_match.has_value());
    EXPECT_TRUE(*c.image_blocks_match);
  }
  EXPECT_EQ(image_cases, 4);  // one image, two images, padded, longer than the window
}

/// Converts fixture `name` with `scheme` into `scratch` and returns the bundle path.
std::string convert_with(const std::string& name, Scheme scheme, const ScratchDir& scratch,
                         const std::string& chunks = "") {
  ConvertOptions options;
  options.source = kFixtures + name;
  options.out = scratch / (name + "-" + std::string(scheme_name(scheme)) + ".hfb");
  options.quant.global = scheme;
  if (!chunks.empty()) options.passes.chunks = chunks;
  auto converted = convert_checkpoint(options);
  EXPECT_TRUE(converted.ok()) << converted.error().to_string();
  return options.out;
}

// moe: E = 8 experts, gate_up [8, 80, 96], down [8, 96, 40].
constexpr int64_t kExperts = 8, kGateUpRows = 80, kHidden = 96;

TEST(FamilyMoe, QuantizedExpertBanksAreStackedMatricesAndRun) {
  ScratchDir scratch;
  struct Expect {
    Scheme scheme;
    const char* part;
    uint64_t bytes;
  };
  const std::vector<Expect> cases = {
      // int8 per row: one f16 scale per expert row, never one across experts.
      {Scheme::kInt8, "scales", kExperts * kGateUpRows * 2},
      // q4_0: 18-byte blocks of 32 along each expert row.
      {Scheme::kQ4_0, "codes", kExperts * kGateUpRows * (kHidden / 32) * 18},
      // kmeans4: LUT groups of 16 rows (a divisor of 80), 16 f32 entries each: 5 LUTs per expert.
      {Scheme::kKmeans4, "lut", kExperts * (kGateUpRows / 16) * 16 * 4},
  };
  for (const Expect& e : cases) {
    SCOPED_TRACE(scheme_name(e.scheme));
    const std::string path = convert_with("moe", e.scheme, scratch);
    auto bundle = Bundle::open(path);
    ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
    const BundleTensor* bank = (*bundle)->find("model.layers.0.experts.gate_up_proj");
    ASSERT_NE(bank, nullptr);
    EXPECT_EQ(bank->scheme, scheme_name(e.scheme));
    EXPECT_EQ(bank->info.shape.dims(), (std::vector<int64_t>{kExperts, kGateUpRows, kHidden}));
    const BundleSegmentView* part = bank->segment(e.part);
    ASSERT_NE(part, nullptr);
    EXPECT_EQ(part->length, e.bytes);
    const BundleTensor* router = (*bundle)->find("model.layers.0.router.proj.weight");
    ASSERT_NE(router, nullptr);
    EXPECT_EQ(router->scheme, "");  // the router stays float
    VerifyOptions loose;
    loose.logit_tolerance.reset();
    auto report = verify_model(path, kFixtures + "moe", loose);
    ASSERT_TRUE(report.ok()) << report.error().to_string();
    EXPECT_GT(report->tokens_total, 0);
    for (const CaseReport& c : report->cases) EXPECT_TRUE(c.moe_routing.has_value()) << c.name;
  }
}

TEST(FamilyMoe, QuantizedBundleAgainstTheCheckpointReportsAgreement) {
  ScratchDir scratch;
  const std::string path = convert_with("moe", Scheme::kInt8, scratch);
  AgainstOptions against;
  against.reference_path = kFixtures + "moe";
  against.random_prompts = 3;
  against.seed = 5;
  against.steps = 4;
  auto report = verify_model_against(path, against, VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_GT(report->tokens_total, 0);
  for (const CaseReport& c : report->cases) {
    EXPECT_GE(c.kl_divergence_mean, 0.0) << c.name;
    EXPECT_LT(c.max_abs_logit_diff, 1e9) << c.name;
  }
}

TEST(FamilyMoe, ChunkedFloatBundleRunsChunkByChunk) {
  ScratchDir scratch;
  const std::string path = convert_with("moe", Scheme::kNone, scratch, "0-1,2-2,3-4");
  auto report = verify_model(path, kFixtures + "moe", VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_TRUE(report->pass);
  EXPECT_GE(report->chunks.size(), 5u);  // embeddings, three decoder chunks, head
}

TEST(FamilyMoe, DecodeReadsOnlyTheRoutedExperts) {
  auto model = load_checkpoint(kFixtures + "moe");
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  auto graph = build_gemma4_text_graph(model->config, model->tensors);
  ASSERT_TRUE(graph.ok()) << graph.error().to_string();
  auto store = F32WeightStore::create(*graph, model->tensors);
  ASSERT_TRUE(store.ok()) << store.error().to_string();
  auto interpreter = GraphInterpreter::create(*graph, std::shared_ptr<const WeightStore>(std::move(*store)));
  ASSERT_TRUE(interpreter.ok()) << interpreter.error().to_string();
  ASSERT_TRUE((*interpreter)->run({2, 17, 5, 9}).ok());
  ASSERT_TRUE((*interpreter)->run({11}).ok());
  // One token, top-2 of 8 experts, 5 layers: at most 2 experts' gate, up and down rows per layer.
  const int64_t per_expert = 3 * 40 * kHidden;
  EXPECT_GT((*interpreter)->experts_weights_read(), 0);
  EXPECT_LE((*interpreter)->experts_weights_read(), 5 * 2 * per_expert);
}

TEST(FamilyMoe, RunReportsTheExpertWeightsEachDecodeStepRead) {
  for (const std::string& model : {kFixtures + "moe"}) {
    auto session = open_model_session(model);
    ASSERT_TRUE(session.ok()) << session.error().to_string();
    GreedyOptions greedy;
    greedy.max_new_tokens = 4;
    auto run = run_greedy(*session->session, {2, 17, 5}, nullptr, nullptr, greedy);
    ASSERT_TRUE(run.ok()) << run.error().to_string();
    ASSERT_EQ(run->decode_experts_weights_read.size(), 3u);
    // One token: exactly top_k = 2 distinct experts per layer, 5 layers, gate + up + down rows of each.
    for (int64_t n : run->decode_experts_weights_read) EXPECT_EQ(n, 5 * 2 * 3 * 40 * kHidden);
  }
}

TEST(FamilyMoe, WeightBytesPerDecodeTokenCountOnlyTheRoutedExperts) {
  // The checkpoint's bf16 weights, mapped: one decode token reads every linear's whole matrix, one embedding row,
  // and of each expert bank only the two routed experts' rows (issue #18: a 26B-A4B token reads ~4B parameters).
  auto model = load_checkpoint(kFixtures + "moe");
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  auto graph = build_gemma4_text_graph(model->config, model->tensors);
  ASSERT_TRUE(graph.ok()) << graph.error().to_string();
  uint64_t expected = 0;
  for (const Node& node : graph->nodes()) {
    const auto bytes_of = [&](size_t input) {
      return model->tensors.find(graph->find_value(node.inputs[input])->tensor)->num_bytes;
    };
    if (node.op == OpType::kLinear) expected += bytes_of(1);
    if (node.op == OpType::kGather) expected += kHidden * 2;  // one bf16 row of the table
    if (node.op == OpType::kMoeExperts) expected += 2 * (bytes_of(2) + bytes_of(3)) / kExperts;  // 2 routed of 8
  }
  auto session = open_model_session(kFixtures + "moe");
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  GreedyOptions greedy;
  greedy.max_new_tokens = 4;
  auto run = run_greedy(*session->session, {2, 17, 5}, nullptr, nullptr, greedy);
  ASSERT_TRUE(run.ok()) << run.error().to_string();
  ASSERT_EQ(run->decode_calls, 3);
  EXPECT_EQ(run->decode_weight_bytes, 3 * expected);
}

}  // namespace
}  // namespace hfb
