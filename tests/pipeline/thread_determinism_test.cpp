// The runtime gives bit-identical logits for 1, 2 and 3 threads (rows, tiles and attention heads are split
// in fixed contiguous ranges), for a mapped checkpoint and for weights quantized to each kernel format.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "pipeline/open_model.h"
#include "quant/policy.h"
#include "pipeline/quantized_session.h"
#include "validators/parity_greedy.h"

namespace hfb {
namespace {

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

/// Prefill logits of a 9-token prompt and 4 greedy steps' logits, with the pool at `threads`.
std::vector<float> logits_with_threads(Session& session, int threads) {
  ThreadPool::set_global_threads(threads);
  GreedyOptions options;
  options.max_new_tokens = 4;
  options.keep_logits = true;
  auto run = run_greedy(session, {2, 17, 5, 99, 300, 41, 7, 256, 18}, nullptr, nullptr, options);
  EXPECT_TRUE(run.ok()) << run.error().to_string();
  if (!run.ok()) return {};
  std::vector<float> all = run->prefill_logits.data;
  all.insert(all.end(), run->step_logits.data.begin(), run->step_logits.data.end());
  return all;
}

void expect_identical_for_1_2_3_threads(Session& session) {
  const std::vector<float> one = logits_with_threads(session, 1);
  ASSERT_FALSE(one.empty());
  for (int threads : {2, 3}) {
    const std::vector<float> many = logits_with_threads(session, threads);
    ASSERT_EQ(many.size(), one.size()) << threads << " threads";
    EXPECT_EQ(0, std::memcmp(many.data(), one.data(), one.size() * sizeof(float))) << threads << " threads";
  }
  ThreadPool::set_global_threads(ThreadPool::available_cores());
}

TEST(ThreadDeterminism, MappedCheckpointLogitsAreBitIdentical) {
  auto model = open_model_session(kFixtures + "sample");
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  expect_identical_for_1_2_3_threads(*model->session);
}

TEST(ThreadDeterminism, QuantizedLogitsAreBitIdenticalForEveryScheme) {
  for (Scheme scheme : {Scheme::kInt8, Scheme::kInt4, Scheme::kQ4_0, Scheme::kQ8_0, Scheme::kKmeans4}) {
    SCOPED_TRACE(std::string(scheme_name(scheme)));
    QuantPolicyOptions options;
    options.global = scheme;
    options.min_elements = 0;
    auto policy = QuantPolicy::create(options);
    ASSERT_TRUE(policy.ok()) << policy.error().to_string();
    auto model = open_quantized_model_session(kFixtures + "grid-q4_0", *policy, nullptr);
    ASSERT_TRUE(model.ok()) << model.error().to_string();
    expect_identical_for_1_2_3_threads(*model->session);
  }
}

}  // namespace
}  // namespace hfb
