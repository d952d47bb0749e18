// End-to-end parity of the float32 runtime with Hugging Face on the text fixtures: prefill logits of every
// position, every greedy token and step logits (2e-3), and hidden states layer by layer for the last case.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "models/gemma4/text_graph_builder.h"
#include "models/load_checkpoint.h"
#include "pipeline/open_model.h"
#include "runtime/graph_session.h"
#include "validators/golden.h"

namespace hfb {
namespace {

constexpr double kLogitTolerance = 2e-3;
constexpr double kHiddenTolerance = 1e-3;

std::string fixture(const std::string& name) { return std::string(HFB_FIXTURES_DIR) + "/gemma4/" + name; }

double max_abs_diff(const float* a, const float* b, int64_t n) {
  double d = 0.0;
  for (int64_t i = 0; i < n; ++i) d = std::max(d, std::fabs(static_cast<double>(a[i]) - b[i]));
  return d;
}

int64_t argmax(const float* row, int64_t n) { return std::max_element(row, row + n) - row; }

void check_case(Session& session, const GoldenCase& c, int num_layers) {
  Taps taps;
  auto prefill = session.prefill(c.prompt, nullptr, &taps);
  ASSERT_TRUE(prefill.ok()) << prefill.error().to_string();
  const int64_t vocab = session.vocab_size();
  ASSERT_EQ(prefill->rows, c.prefill_logits.rows);
  ASSERT_EQ(prefill->cols, c.prefill_logits.cols);
  EXPECT_LE(max_abs_diff(prefill->data.data(), c.prefill_logits.data.data(), prefill->rows * vocab), kLogitTolerance)
      << c.name << " prefill";
  for (const auto& [index, golden] : c.hidden_states) {
    ASSERT_LE(index, num_layers);
    const Matrix& ours = taps[hidden_states_tap(index)];
    ASSERT_EQ(ours.data.size(), golden.data.size()) << c.name << " hidden_states." << index;
    EXPECT_LE(max_abs_diff(ours.data.data(), golden.data.data(), golden.rows * golden.cols), kHiddenTolerance)
        << c.name << " hidden_states." << index;
  }
  std::vector<float> logits(prefill->row(prefill->rows - 1), prefill->row(prefill->rows - 1) + vocab);
  for (size_t step = 0; step < c.greedy.size(); ++step) {
    EXPECT_LE(max_abs_diff(logits.data(), c.step_logits.row(static_cast<int64_t>(step)), vocab), kLogitTolerance)
        << c.name << " step " << step;
    int64_t token = argmax(logits.data(), vocab);
    ASSERT_EQ(token, c.greedy[step]) << c.name << " step " << step;
    if (step + 1 == c.greedy.size()) break;
    auto next = session.decode(token);
    ASSERT_TRUE(next.ok()) << next.error().to_string();
    logits = next->data;
  }
}

void check_fixture(const std::string& name) {
  auto model = load_checkpoint(fixture(name));
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  auto golden = load_golden(fixture(name));
  ASSERT_TRUE(golden.ok()) << golden.error().to_string();
  auto session = make_session(*model);
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  EXPECT_EQ((*session)->vocab_size(), golden->vocab_size);
  ASSERT_FALSE(golden->cases.empty());
  EXPECT_FALSE(golden->cases.back().hidden_states.empty()) << "last case carries hidden states";
  for (const GoldenCase& c : golden->cases) check_case(**session, c, model->config.text.num_hidden_layers);
}

TEST(RuntimeFixtures, Sample) { check_fixture("sample"); }
TEST(RuntimeFixtures, SampleRelease) { check_fixture("sample-release"); }
TEST(RuntimeFixtures, SampleSharded) { check_fixture("sample-sharded"); }
TEST(RuntimeFixtures, TextKEqV) { check_fixture("text-kveqv"); }

TEST(RuntimeFixtures, ReleaseExtrasAreNotWired) {
  auto model = load_checkpoint(fixture("sample-release"));
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  auto graph = build_gemma4_text_graph(model->config, model->tensors);
  ASSERT_TRUE(graph.ok()) << graph.error().to_string();
  int unused = 0;
  for (const TensorInfo& info : model->tensors.tensors()) {
    if (info.used) continue;
    ++unused;
    EXPECT_EQ(graph->find_value(info.name), nullptr) << info.name;
  }
  EXPECT_GT(unused, 0);
}

TEST(RuntimeFixtures, PerturbedLayerChangesOnlyLaterHiddenStates) {
  auto model = load_checkpoint(fixture("sample"));
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  auto golden = load_golden(fixture("sample"));
  ASSERT_TRUE(golden.ok());
  auto graph = build_gemma4_text_graph(model->config, model->tensors);
  ASSERT_TRUE(graph.ok());
  auto store = F32WeightStore::create(*graph, model->tensors);
  ASSERT_TRUE(store.ok());
  const std::string perturbed = "model.layers.2.mlp.down_proj.weight";
  auto weights = tensor_to_f32(*model->tensors.find(perturbed));
  ASSERT_TRUE(weights.ok());
  // Not a uniform scale: the post-feedforward RMSNorm would cancel that.
  for (size_t i = 0; i < weights->size(); ++i) (*weights)[i] += 0.05f * static_cast<float>(static_cast<int>(i % 7) - 3);
  (*store)->put(perturbed, model->tensors.find(perturbed)->shape.dims(), std::move(*weights));
  auto session = make_graph_session(*graph, std::shared_ptr<const WeightStore>(std::move(*store)), 4);
  ASSERT_TRUE(session.ok());
  const GoldenCase& c = golden->cases.back();
  Taps taps;
  ASSERT_TRUE((*session)->prefill(c.prompt, nullptr, &taps).ok());
  for (const auto& [index, reference] : c.hidden_states) {
    double d = max_abs_diff(taps[hidden_states_tap(index)].data.data(), reference.data.data(),
                            reference.rows * reference.cols);
    if (index <= 2) {
      EXPECT_LE(d, kHiddenTolerance) << index;  // before layer 2's output
    } else {
      EXPECT_GT(d, 10 * kHiddenTolerance) << index;  // hidden_states.3 = output of layer 2
    }
  }
}

}  // namespace
}  // namespace hfb
