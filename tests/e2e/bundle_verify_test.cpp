// Bundles run on their own (issue 8): every fixture is copied, converted with --quant none, the copy deleted,
// and the bundle verified against the fixture's goldens gives the figures of verifying the checkpoint, for
// one chunk and an explicit multi-chunk plan, as directory and zip, raw and zstd. Also verify --against on
// a bundle (100 % tokens) and --save-golden read back by verify --golden.
#include <filesystem>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "formats/bundle.pb.h"
#include "models/load_checkpoint.h"
#include "pipeline/bundle_session.h"
#include "pipeline/convert.h"
#include "pipeline/open_model.h"
#include "pipeline/quantized_session.h"
#include "readers/bundle/bundle_graph.h"
#include "readers/bundle/bundle_reader.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using testing::ScratchDir;

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";
/// Every fixture set of fixtures/gemma4 (text and multimodal).
const std::vector<std::string> kFixtureNames = {"sample",    "sample-release", "sample-sharded", "text-kveqv",
                                                "grid-int4", "grid-int8",      "grid-kmeans",    "grid-q4_0",
                                                "grid-int8-mm", "mm",          "mm-clipscope",   "text-trained",
                                                "moe",         "vl-bidir"};

/// How one bundle is written.
struct Variant {
  bool multi_chunk = false;
  bool zip = false;
  int zstd = 0;
  std::string name() const {
    return std::string(multi_chunk ? "chunks2" : "chunks1") + (zip ? "_zip" : "_dir") + (zstd ? "_zstd" : "_raw");
  }
};

std::vector<Variant> all_variants() {
  std::vector<Variant> out;
  for (bool multi : {false, true}) {
    for (bool zip : {false, true}) {
      for (int zstd : {0, 3}) out.push_back(Variant{multi, zip, zstd});
    }
  }
  return out;
}

/// A copy of the fixture's checkpoint files (not the goldens) in `dir`.
void copy_checkpoint(const std::string& fixture, const std::string& dir) {
  for (const std::string& name : testing::list_dir(kFixtures + fixture)) {
    if (name.rfind("golden", 0) == 0) continue;
    testing::write_all(dir + "/" + name, testing::read_all(kFixtures + fixture + "/" + name));
  }
}

/// Two explicit decoder ranges split in the middle ("0-1,2-3").
std::string two_chunk_ranges(const std::string& fixture) {
  auto model = load_checkpoint(kFixtures + fixture);
  EXPECT_TRUE(model.ok());
  const int layers = model.ok() ? model->config.text.num_hidden_layers : 2;
  const int half = layers / 2;
  return "0-" + std::to_string(half - 1) + "," + std::to_string(half) + "-" + std::to_string(layers - 1);
}

/// Converts a copy of `fixture` into `scratch`, deletes the copy and returns the bundle path.
std::string convert_moved(const std::string& fixture, const Variant& v, const ScratchDir& scratch) {
  const std::string copy = scratch / ("src-" + v.name());
  EXPECT_EQ(::mkdir(copy.c_str(), 0755), 0) << copy;
  copy_checkpoint(fixture, copy);
  ConvertOptions options;
  options.source = copy;
  options.out = scratch / (fixture + "-" + v.name() + (v.zip ? ".hfb.zip" : ".hfb"));
  options.zip = v.zip;
  options.zstd_level = v.zstd;
  if (v.multi_chunk) {
    options.passes.chunks = two_chunk_ranges(fixture);
  } else {
    options.passes.disable = {"chunk-plan"};  // --chunks takes >= 2 decoder chunks; no plan = one chunk
  }
  auto converted = convert_checkpoint(options);
  EXPECT_TRUE(converted.ok()) << converted.error().to_string();
  remove_tree(copy);
  EXPECT_TRUE(testing::list_dir(copy).empty());
  return options.out;
}

void expect_same_figures(const ParityReport& a, const ParityReport& b) {
  EXPECT_EQ(a.pass, b.pass);
  EXPECT_EQ(a.tokens_total, b.tokens_total);
  EXPECT_EQ(a.tokens_matched, b.tokens_matched);
  ASSERT_EQ(a.cases.size(), b.cases.size());
  for (size_t i = 0; i < a.cases.size(); ++i) {
    SCOPED_TRACE(a.cases[i].name);
    EXPECT_EQ(a.cases[i].status, b.cases[i].status);
    EXPECT_EQ(a.cases[i].generated, b.cases[i].generated);
    EXPECT_EQ(a.cases[i].tokens_matched, b.cases[i].tokens_matched);
    EXPECT_EQ(a.cases[i].first_divergence, b.cases[i].first_divergence);
    EXPECT_NEAR(a.cases[i].max_abs_logit_diff, b.cases[i].max_abs_logit_diff, 1e-6);
    EXPECT_NEAR(a.cases[i].prefill_max_abs_logit_diff, b.cases[i].prefill_max_abs_logit_diff, 1e-6);
    EXPECT_EQ(a.cases[i].first_drifting_layer, b.cases[i].first_drifting_layer);
    EXPECT_EQ(a.cases[i].first_drifting_tap, b.cases[i].first_drifting_tap);
  }
}

class BundleVerifyFixture : public ::testing::TestWithParam<std::string> {};

/// The variants run for a fixture: all eight for "sample"; else one single-chunk and one two-chunk variant,
/// rotating through container and compression so that every combination runs on several fixtures.
std::vector<Variant> variants_for(const std::string& fixture, size_t index) {
  const std::vector<Variant> all = all_variants();
  if (fixture == "sample") return all;
  return {all[index % 4], all[4 + (index + 1) % 4]};
}

TEST_P(BundleVerifyFixture, NoneBundleVerifiesLikeTheCheckpointWithoutIt) {
  const std::string fixture = GetParam();
  auto reference = verify_model(kFixtures + fixture, kFixtures + fixture, VerifyOptions{});
  ASSERT_TRUE(reference.ok()) << reference.error().to_string();
  ASSERT_GT(reference->tokens_total, 0);
  ScratchDir scratch;
  const size_t index = static_cast<size_t>(
      std::find(kFixtureNames.begin(), kFixtureNames.end(), fixture) - kFixtureNames.begin());
  for (const Variant& v : variants_for(fixture, index)) {
    SCOPED_TRACE(v.name());
    const std::string bundle = convert_moved(fixture, v, scratch);
    ASSERT_TRUE(is_bundle_path(bundle));
    auto report = verify_model(bundle, kFixtures + fixture, VerifyOptions{});
    ASSERT_TRUE(report.ok()) << report.error().to_string();
    EXPECT_EQ(report->model, bundle);
    expect_same_figures(*reference, *report);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryFixture, BundleVerifyFixture,
                         ::testing::ValuesIn(kFixtureNames),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(BundleVerify, EveryFixtureSetIsCovered) {
  std::vector<std::string> sorted = kFixtureNames;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> checkpoints;  // `media` holds processor goldens, no checkpoint (tests/readers/media_*)
  for (const std::string& name : testing::list_dir(kFixtures)) {
    if (std::filesystem::exists(std::filesystem::path(kFixtures) / name / "config.json")) checkpoints.push_back(name);
  }
  EXPECT_EQ(checkpoints, sorted);
}

TEST(BundleVerify, ManifestStoresTheTextGraphAndChunkNodes) {
  ScratchDir scratch;
  const std::string path = convert_moved("sample", Variant{true, false, 0}, scratch);
  auto bundle = Bundle::open(path);
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  auto graph = bundle_text_graph(**bundle);
  ASSERT_TRUE(graph.ok()) << graph.error().to_string();
  size_t chunk_nodes = 0;
  for (const bundle::Chunk& c : (*bundle)->manifest().chunks()) chunk_nodes += c.graph().nodes_size();
  EXPECT_EQ(chunk_nodes, graph->nodes().size());  // the partition places every node exactly once
  EXPECT_GE((*bundle)->format_minor(), 1u);
}

TEST(BundleVerify, AgainstItsOwnCheckpointIsExactAndSavedGoldenReadsBack) {
  ScratchDir scratch;
  const std::string bundle = convert_moved("sample", Variant{true, true, 3}, scratch);
  AgainstOptions against;
  against.reference_path = kFixtures + "sample";
  against.random_prompts = 3;
  against.seed = 7;
  against.steps = 5;
  against.save_golden_dir = scratch / "saved-golden";
  auto report = verify_model_against(bundle, against, VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_TRUE(report->pass);
  EXPECT_GT(report->tokens_total, 0);
  EXPECT_EQ(report->tokens_matched, report->tokens_total);
  for (const CaseReport& c : report->cases) EXPECT_LE(c.max_abs_logit_diff, 1e-5) << c.name;
  auto again = verify_model(bundle, against.save_golden_dir, VerifyOptions{});
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  expect_same_figures(*report, *again);
}

TEST(BundleVerify, MultimodalBundleAgainstItsCheckpointIsExact) {
  ScratchDir scratch;
  const std::string bundle = convert_moved("grid-int8-mm", Variant{false, false, 0}, scratch);
  AgainstOptions against;
  against.reference_path = kFixtures + "grid-int8-mm";
  against.random_prompts = 2;
  against.steps = 4;
  auto report = verify_model_against(bundle, against, VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->tokens_matched, report->tokens_total);
  EXPECT_TRUE(report->pass);
}

/// A quantized bundle runs on its encoded weights: the same figures as quantizing the checkpoint in memory.
TEST(BundleVerify, QuantizedBundlesVerifyLikeInMemoryQuantization) {
  const std::vector<std::pair<std::string, Scheme>> cases = {
      {"grid-q4_0", Scheme::kQ4_0}, {"grid-kmeans", Scheme::kKmeans4}, {"sample", Scheme::kInt8}};
  for (const auto& [fixture, scheme] : cases) {
    SCOPED_TRACE(fixture);
    ScratchDir scratch;
    ConvertOptions options;
    options.source = kFixtures + fixture;
    options.out = scratch / "q.hfb.zip";
    options.zip = true;
    options.zstd_level = 1;
    options.quant.global = scheme;
    auto converted = convert_checkpoint(options);
    ASSERT_TRUE(converted.ok()) << converted.error().to_string();
    auto policy = QuantPolicy::create(options.quant);
    ASSERT_TRUE(policy.ok());
    auto in_memory =
        verify_quantized_model(kFixtures + fixture, kFixtures + fixture, *policy, VerifyOptions{}, nullptr);
    auto bundle = verify_model(options.out, kFixtures + fixture, VerifyOptions{});
    ASSERT_TRUE(in_memory.ok()) << in_memory.error().to_string();
    ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
    expect_same_figures(*in_memory, *bundle);
  }
}

TEST(BundleVerify, BundleWithoutTextGraphFailsClearly) {
  ScratchDir scratch;
  const std::string path = convert_moved("sample", Variant{false, false, 0}, scratch);
  bundle::Manifest manifest;
  ASSERT_TRUE(manifest.ParseFromString(testing::read_all(path + "/manifest.pb")));
  manifest.clear_text_graph();
  testing::write_all(path + "/manifest.pb", manifest.SerializeAsString());
  auto session = open_model_session(path);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, ErrorCode::kNotFound);
  EXPECT_NE(session.error().to_string().find("text graph"), std::string::npos) << session.error().to_string();
}

}  // namespace
}  // namespace hfb
