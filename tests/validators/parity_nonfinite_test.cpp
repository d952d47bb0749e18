// Non-finite logits name the first non-finite value (issue #16 item 1): run_greedy reruns the failing step with
// the session checking every op output, on a synthetic model with one weight set to inf or NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "models/gemma4/text_graph_builder.h"
#include "models/gemma4/gemma4_synthetic.h"
#include "pipeline/synthetic_model.h"
#include "runtime/graph_session.h"
#include "validators/parity_greedy.h"

namespace hfb {
namespace {

/// Sets element [row, col] of `tensor` in the model's float store to `value`.
void poison(SyntheticModel* m, const std::string& tensor, int64_t row, int64_t col, float value) {
  ValueInfo info;
  info.tensor = tensor;
  auto view = m->weights->weight(info);
  ASSERT_TRUE(view.ok()) << view.error().to_string();
  const int64_t cols = view->dims.back();
  int64_t count = 1;
  for (int64_t d : view->dims) count *= d;
  std::vector<float> data(view->data, view->data + count);
  data[row * cols + col] = value;
  m->weights->put(tensor, view->dims, std::move(data));
}

struct Fixture {
  SyntheticModel model;
  std::unique_ptr<Session> session;
};

Fixture make(const std::function<void(SyntheticModel*)>& edit) {
  auto model = with_f32_weights(make_synthetic_gemma4({}));
  EXPECT_TRUE(model.ok());
  Fixture f{std::move(model).value(), nullptr};
  edit(&f.model);
  auto graph = build_gemma4_text_graph(f.model.model.config, f.model.model.tensors);
  EXPECT_TRUE(graph.ok()) << graph.error().to_string();
  auto session = make_graph_session(*graph, f.model.weights, f.model.model.config.text.num_hidden_layers);
  EXPECT_TRUE(session.ok()) << session.error().to_string();
  f.session = std::move(session).value();
  return f;
}

const std::vector<int64_t> kPrompt{2, 17, 5};

TEST(ParityNonFinite, PrefillStepNamesTheOpAndTheWeight) {
  Fixture f = make([](SyntheticModel* m) {
    poison(m, "model.layers.2.mlp.up_proj.weight", 7, 3, std::numeric_limits<float>::infinity());
  });
  GreedyOptions options;
  options.max_new_tokens = 3;
  auto run = run_greedy(*f.session, kPrompt, nullptr, nullptr, options);
  ASSERT_FALSE(run.ok());
  const std::string message = run.error().message;
  EXPECT_EQ(run.error().code, ErrorCode::kCheckFailed);
  EXPECT_NE(message.find("step 0"), std::string::npos) << message;
  // The up projection of layer 2 is the first value to go infinite; it names the weight it read.
  EXPECT_NE(message.find("first non-finite value of that step: 'l2.mlp_up' (linear) is "), std::string::npos)
      << message;
  EXPECT_NE(message.find("at row 0 element 7"), std::string::npos) << message;
  EXPECT_NE(message.find("'model.layers.2.mlp.up_proj.weight'"), std::string::npos) << message;
  // The rerun leaves checking off again: later calls scan nothing and report nothing.
  ASSERT_TRUE(f.session->prefill(kPrompt, nullptr, nullptr).ok());
  EXPECT_EQ(f.session->first_nonfinite(), "");
}

TEST(ParityNonFinite, DecodeStepIsRerunFromThePrompt) {
  // The token greedy picks first, found on clean weights; its row of the per-layer embedding table (a gather only:
  // the head reads the token table, not this one) then becomes NaN, so the prompt's step is finite and the first
  // decode step (which embeds that token) is not.
  Fixture clean = make([](SyntheticModel*) {});
  GreedyOptions options;
  options.max_new_tokens = 1;
  auto first = run_greedy(*clean.session, kPrompt, nullptr, nullptr, options);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  const int64_t token = first->generated[0];
  for (int64_t id : kPrompt) ASSERT_NE(id, token) << "pick another prompt";
  Fixture f = make([token](SyntheticModel* m) {
    poison(m, "model.embed_tokens_per_layer.weight", token, 11, std::numeric_limits<float>::quiet_NaN());
  });
  options.max_new_tokens = 4;
  auto run = run_greedy(*f.session, kPrompt, nullptr, nullptr, options);
  ASSERT_FALSE(run.ok());
  const std::string message = run.error().message;
  EXPECT_NE(message.find("step 1"), std::string::npos) << message;
  EXPECT_NE(message.find("'ple.token' (gather) is NaN at row 0 element 11"), std::string::npos) << message;
  EXPECT_NE(message.find("'model.embed_tokens_per_layer.weight'"), std::string::npos) << message;
}

TEST(ParityNonFinite, CheckingIsOffUnlessAsked) {
  Fixture f = make([](SyntheticModel* m) {
    poison(m, "model.layers.1.self_attn.o_proj.weight", 0, 0, std::numeric_limits<float>::quiet_NaN());
  });
  ASSERT_TRUE(f.session->prefill(kPrompt, nullptr, nullptr).ok());
  EXPECT_EQ(f.session->first_nonfinite(), "");
  f.session->set_check_finite(true);
  ASSERT_TRUE(f.session->prefill(kPrompt, nullptr, nullptr).ok());
  EXPECT_NE(f.session->first_nonfinite().find("'l1.attn_out' (linear) is NaN at row 0 element 0"), std::string::npos)
      << f.session->first_nonfinite();
}

}  // namespace
}  // namespace hfb
