// TokenSampler: greedy is argmax, top-k 1 and a tiny top-p are argmax, a seed fixes the draws, and the draws follow
// softmax(logits / T) restricted to the top-k / nucleus set.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/sampling.h"

namespace hfb {
namespace {

const std::vector<float> kLogits = {0.5f, 2.0f, 1.0f, -1.0f, 1.9f};

std::vector<int64_t> draws(const SamplingOptions& o, int n) {
  TokenSampler sampler(o);
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(sampler.sample(kLogits.data(), static_cast<int64_t>(kLogits.size())));
  return out;
}

TEST(Sampling, GreedyTopK1AndTinyTopPAreArgmax) {
  EXPECT_EQ(draws(SamplingOptions{}, 5), std::vector<int64_t>(5, 1));
  EXPECT_EQ(draws(SamplingOptions{1.5, 1, 1.0, 3}, 50), std::vector<int64_t>(50, 1));
  EXPECT_EQ(draws(SamplingOptions{1.5, 0, 1e-6, 3}, 50), std::vector<int64_t>(50, 1));
}

TEST(Sampling, TheSameSeedGivesTheSameDrawsAndAnotherSeedOthers) {
  const SamplingOptions a{1.0, 0, 1.0, 42};
  EXPECT_EQ(draws(a, 200), draws(a, 200));
  SamplingOptions b = a;
  b.seed = 43;
  EXPECT_NE(draws(a, 200), draws(b, 200));
}

TEST(Sampling, FrequenciesFollowTheTemperedSoftmaxOverTopK) {
  const SamplingOptions o{0.7, 3, 1.0, 7};  // top 3: ids 1 (2.0), 4 (1.9), 2 (1.0)
  const int n = 40000;
  std::vector<int> counts(kLogits.size(), 0);
  for (int64_t id : draws(o, n)) ++counts[static_cast<size_t>(id)];
  EXPECT_EQ(counts[0] + counts[3], 0) << "outside the top-k";
  const double e1 = std::exp(2.0 / 0.7), e4 = std::exp(1.9 / 0.7), e2 = std::exp(1.0 / 0.7);
  const double sum = e1 + e4 + e2;
  EXPECT_NEAR(counts[1] / double(n), e1 / sum, 0.01);
  EXPECT_NEAR(counts[4] / double(n), e4 / sum, 0.01);
  EXPECT_NEAR(counts[2] / double(n), e2 / sum, 0.01);
}

TEST(Sampling, TopPKeepsTheSmallestNucleus) {
  // At T=1 the two best (2.0, 1.9) hold ~0.62 of the mass: p=0.5 keeps both (the first alone has ~0.32).
  const SamplingOptions o{1.0, 0, 0.5, 11};
  bool saw1 = false, saw4 = false;
  for (int64_t id : draws(o, 2000)) {
    EXPECT_TRUE(id == 1 || id == 4) << id;
    saw1 |= id == 1;
    saw4 |= id == 4;
  }
  EXPECT_TRUE(saw1 && saw4);
}

TEST(Sampling, BadOptionsAreRefused) {
  EXPECT_FALSE(validate_sampling(SamplingOptions{-1.0, 0, 1.0, 0}).ok());
  EXPECT_FALSE(validate_sampling(SamplingOptions{1.0, -2, 1.0, 0}).ok());
  EXPECT_FALSE(validate_sampling(SamplingOptions{1.0, 0, 0.0, 0}).ok());
  EXPECT_FALSE(validate_sampling(SamplingOptions{NAN, 0, 1.0, 0}).ok());
  EXPECT_TRUE(validate_sampling(SamplingOptions{0.8, 40, 0.95, 1}).ok());
}

}  // namespace
}  // namespace hfb
