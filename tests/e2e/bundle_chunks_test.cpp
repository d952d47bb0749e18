// A chunked bundle runs as its chunk subgraphs in sequence (issue 8): the chunk graphs come from the
// manifest's per-chunk node lists alone, give the whole graph's logits, decode steps and taps bit for bit,
// are named in the verify report, and a manifest whose chunk lists are inconsistent is refused clearly.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "formats/bundle.pb.h"
#include "models/load_checkpoint.h"
#include "pipeline/bundle_session.h"
#include "pipeline/bundle_weight_store.h"
#include "pipeline/convert.h"
#include "pipeline/open_model.h"
#include "readers/bundle/bundle_graph.h"
#include "readers/bundle/bundle_reader.h"
#include "runtime/graph_session.h"
#include "tests/writers/bundle_test_util.h"
#include "validators/report.h"

namespace hfb {
namespace {

using testing::ScratchDir;

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

const std::string kMm = std::string(HFB_FIXTURES_DIR) + "/gemma4/mm";

/// `source` (default `sample`) converted (float) with two explicit decoder chunks, or with no chunk plan.
std::string convert_sample(const ScratchDir& scratch, bool chunked, const std::string& source = kSample) {
  ConvertOptions options;
  options.source = source;
  options.out = scratch / (chunked ? "chunked.hfb" : "whole.hfb");
  auto model = load_checkpoint(source);
  EXPECT_TRUE(model.ok());
  const int layers = model.ok() ? model->config.text.num_hidden_layers : 4;
  if (chunked) {
    options.passes.chunks = "0-" + std::to_string(layers / 2 - 1) + "," + std::to_string(layers / 2) + "-" +
                            std::to_string(layers - 1);
  } else {
    options.passes.disable = {"chunk-plan"};
  }
  auto converted = convert_checkpoint(options);
  EXPECT_TRUE(converted.ok()) << converted.error().to_string();
  return options.out;
}

/// The stored text graph run whole, in one interpreter, over the same bundle weights.
std::unique_ptr<Session> whole_graph_session(const std::string& path) {
  auto bundle = Bundle::open(path);
  EXPECT_TRUE(bundle.ok());
  if (!bundle.ok()) return nullptr;
  auto graph = bundle_text_graph(**bundle);
  EXPECT_TRUE(graph.ok());
  if (!graph.ok()) return nullptr;
  auto store = BundleWeightStore::create(**bundle, &*graph);
  EXPECT_TRUE(store.ok());
  if (!store.ok()) return nullptr;
  auto session = make_graph_session(*graph, std::shared_ptr<const WeightStore>(std::move(*store)),
                                    (*bundle)->config().text.num_hidden_layers);
  EXPECT_TRUE(session.ok());
  return session.ok() ? std::move(*session) : nullptr;
}

TEST(BundleChunks, ChunkGraphsInSequenceEqualTheWholeGraphBitForBit) {
  ScratchDir scratch;
  const std::string path = convert_sample(scratch, true);
  auto chunked = open_bundle_session(path);
  ASSERT_TRUE(chunked.ok()) << chunked.error().to_string();
  auto bundle = Bundle::open(path);
  ASSERT_TRUE(bundle.ok());
  std::vector<std::string> listed;
  for (const bundle::Chunk& c : (*bundle)->manifest().chunks()) {
    if (c.graph().nodes_size() > 0) listed.push_back(c.name());
  }
  EXPECT_GE(listed.size(), 3u);  // embeddings, two decoder chunks, head
  EXPECT_EQ(chunked->chunks, listed);

  std::unique_ptr<Session> whole = whole_graph_session(path);
  ASSERT_NE(whole, nullptr);
  const std::vector<int64_t> prompt = {2, 17, 300, 45, 9, 77, 128, 3, 64, 250, 11};
  Taps chunk_taps, whole_taps;
  auto a = chunked->session->prefill(prompt, nullptr, &chunk_taps);
  auto b = whole->prefill(prompt, nullptr, &whole_taps);
  ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.error().to_string() : a.error().to_string());
  EXPECT_EQ(a->data, b->data);
  ASSERT_FALSE(whole_taps.empty());
  ASSERT_EQ(chunk_taps.size(), whole_taps.size());
  for (const auto& [name, value] : whole_taps) EXPECT_EQ(chunk_taps.at(name).data, value.data) << name;
  for (int64_t id : {5, 6, 7, 8, 9, 10, 12}) {  // past the sliding window: caches shared across chunks wrap
    auto x = chunked->session->decode(id);
    auto y = whole->decode(id);
    ASSERT_TRUE(x.ok() && y.ok());
    EXPECT_EQ(x->data, y->data) << "decode " << id;
  }
}

TEST(BundleChunks, VerifyReportNamesTheChunksRun) {
  ScratchDir scratch;
  const std::string path = convert_sample(scratch, true);
  auto report = verify_model(path, kSample, VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_TRUE(report->pass);
  ASSERT_GE(report->chunks.size(), 3u);
  EXPECT_NE(report_summary(*report).find(std::to_string(report->chunks.size()) + " chunk graphs run in sequence"),
            std::string::npos);
  EXPECT_NE(report_to_json(*report).find("\"chunks\""), std::string::npos);
}

TEST(BundleChunks, WithoutAChunkPlanTheWholeGraphIsOneChunk) {
  ScratchDir scratch;
  auto session = open_bundle_session(convert_sample(scratch, false));
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  EXPECT_EQ(session->chunks, std::vector<std::string>{"all"});
}

/// A multimodal bundle runs its towers as chunks of the stored graph, respecialized to each prompt's media:
/// every golden case (audio, image, both, text) and tower tap passes, and nothing is rebuilt from the config
/// (a manifest whose config claims other tower sizes still runs the stored graph).
TEST(BundleChunks, MultimodalTowersRunAsChunksOfTheStoredGraph) {
  ScratchDir scratch;
  const std::string path = convert_sample(scratch, true, kMm);
  bundle::Manifest manifest;
  ASSERT_TRUE(manifest.ParseFromString(testing::read_all(path + "/manifest.pb")));
  ASSERT_TRUE(manifest.config().has_audio() && manifest.config().has_vision());
  manifest.mutable_config()->mutable_audio()->set_num_hidden_layers(7);
  manifest.mutable_config()->mutable_vision()->set_num_hidden_layers(9);
  testing::write_all(path + "/manifest.pb", manifest.SerializeAsString());
  auto report = verify_model(path, kMm, VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_TRUE(report->pass) << report_summary(*report);
  EXPECT_EQ(report->tokens_matched, report->tokens_total);
  EXPECT_EQ(report->chunks.front(), "audio");
  EXPECT_EQ(report->chunks.at(1), "vision");
  size_t taps = 0;
  for (const CaseReport& c : report->cases) {
    EXPECT_EQ(c.status, CaseStatus::kPass) << c.name;
    taps += c.taps.size();
  }
  EXPECT_GT(taps, 0u);  // tower taps were compared
}

/// Edits the manifest of a fresh chunked bundle and expects open_model_session to refuse it naming `needle`.
void expect_refused(void (*edit)(bundle::Manifest*), const std::string& needle) {
  ScratchDir scratch;
  const std::string path = convert_sample(scratch, true);
  bundle::Manifest manifest;
  ASSERT_TRUE(manifest.ParseFromString(testing::read_all(path + "/manifest.pb")));
  edit(&manifest);
  testing::write_all(path + "/manifest.pb", manifest.SerializeAsString());
  auto session = open_model_session(path);
  ASSERT_FALSE(session.ok()) << needle;
  EXPECT_EQ(session.error().code, ErrorCode::kInvalidFile) << session.error().to_string();
  EXPECT_NE(session.error().to_string().find(needle), std::string::npos) << session.error().to_string();
  EXPECT_NE(session.error().to_string().find("manifest.pb"), std::string::npos) << session.error().to_string();
}

/// The index of the last chunk that lists nodes, and of the first.
int last_with_nodes(const bundle::Manifest& m) {
  int last = -1;
  for (int c = 0; c < m.chunks_size(); ++c) last = m.chunks(c).graph().nodes_size() > 0 ? c : last;
  return last;
}
int first_with_nodes(const bundle::Manifest& m) {
  for (int c = 0; c < m.chunks_size(); ++c) {
    if (m.chunks(c).graph().nodes_size() > 0) return c;
  }
  return -1;
}

TEST(BundleChunks, NodeListedTwiceIsRefused) {
  expect_refused(
      [](bundle::Manifest* m) {
        bundle::Graph* last = m->mutable_chunks(last_with_nodes(*m))->mutable_graph();
        *m->mutable_chunks(first_with_nodes(*m))->mutable_graph()->add_nodes() = last->nodes(0);
      },
      "is also listed in chunk");
}

TEST(BundleChunks, NodeInNoChunkIsRefused) {
  expect_refused(
      [](bundle::Manifest* m) {
        m->mutable_chunks(last_with_nodes(*m))->mutable_graph()->mutable_nodes()->RemoveLast();
      },
      "is in no chunk's node list");
}

TEST(BundleChunks, NodeDifferingFromTextGraphIsRefused) {
  expect_refused(
      [](bundle::Manifest* m) {
        bundle::Node* node = m->mutable_chunks(last_with_nodes(*m))->mutable_graph()->mutable_nodes(0);
        node->add_inputs("extra");
      },
      "differs from text_graph's");
}

TEST(BundleChunks, NodeMovedBeforeItsProducerIsRefused) {
  expect_refused(
      [](bundle::Manifest* m) {  // the head's last node (logits) moved into the first chunk
        bundle::Graph* last = m->mutable_chunks(last_with_nodes(*m))->mutable_graph();
        *m->mutable_chunks(first_with_nodes(*m))->mutable_graph()->add_nodes() = last->nodes(last->nodes_size() - 1);
        last->mutable_nodes()->RemoveLast();
      },
      "which the later chunk");
}

TEST(BundleChunks, StoredBoundaryDisagreeingWithTheNodesIsRefused) {
  expect_refused(
      [](bundle::Manifest* m) { m->mutable_chunks(first_with_nodes(*m))->mutable_graph()->add_outputs("bogus"); },
      "stored outputs");
}

}  // namespace
}  // namespace hfb
