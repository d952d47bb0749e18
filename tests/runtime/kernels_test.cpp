// Runtime kernels against hand-computed values: RoPE tables (default and proportional), rotate-half,
// sliding-window mask edges, ring-buffer KV cache, rms_norm, softcap, gelu_tanh, linear.
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/kernels.h"
#include "runtime/kv_cache.h"

namespace hfb {
namespace {

TEST(KernelsRope, DefaultTable) {
  auto inv = rope_inverse_frequencies(false, 10000.0, 1.0, 8);
  ASSERT_EQ(inv.size(), 4u);
  EXPECT_FLOAT_EQ(inv[0], 1.0f);
  EXPECT_FLOAT_EQ(inv[1], 0.1f);
  EXPECT_FLOAT_EQ(inv[2], 0.01f);
  EXPECT_FLOAT_EQ(inv[3], 0.001f);
}

TEST(KernelsRope, ProportionalTableHasZeroFrequencies) {
  // head_dim 16, fraction 0.25: int(0.25 * 16 // 2) = 2 rotated angles, 6 zero frequencies.
  auto inv = rope_inverse_frequencies(true, 1e6, 0.25, 16);
  ASSERT_EQ(inv.size(), 8u);
  EXPECT_FLOAT_EQ(inv[0], 1.0f);
  EXPECT_NEAR(inv[1], std::pow(1e6, -2.0 / 16.0), 1e-7);  // 0.1778279...
  for (int j = 2; j < 8; ++j) EXPECT_EQ(inv[j], 0.0f) << j;
  // The sample fixture's full layers: head_dim 64, fraction 0.25 -> 8 rotated of 32.
  auto sample = rope_inverse_frequencies(true, 1e6, 0.25, 64);
  EXPECT_GT(sample[7], 0.0f);
  EXPECT_EQ(sample[8], 0.0f);
  EXPECT_NEAR(sample[7], std::pow(1e6, -14.0 / 64.0), 1e-8);
}

TEST(KernelsRope, RotateHalfByHand) {
  std::vector<float> x{1, 2, 3, 4};
  std::vector<float> inv{1.0f, 0.01f};
  int64_t position = 2;
  kernel_rope(x.data(), 1, 1, 4, &position, inv);
  EXPECT_NEAR(x[0], 1 * std::cos(2.0) - 3 * std::sin(2.0), 1e-6);
  EXPECT_NEAR(x[2], 3 * std::cos(2.0) + 1 * std::sin(2.0), 1e-6);
  EXPECT_NEAR(x[1], 2 * std::cos(0.02) - 4 * std::sin(0.02), 1e-6);
  EXPECT_NEAR(x[3], 4 * std::cos(0.02) + 2 * std::sin(0.02), 1e-6);
}

TEST(KernelsRope, ZeroFrequenciesAreIdentity) {
  std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8};
  auto inv = rope_inverse_frequencies(true, 1e6, 0.25, 8);  // 1 rotated angle of 4
  int64_t position = 7;
  kernel_rope(x.data(), 1, 1, 8, &position, inv);
  EXPECT_NEAR(x[0], 1 * std::cos(7.0) - 5 * std::sin(7.0), 1e-5);
  for (int j : {1, 2, 3, 5, 6, 7}) EXPECT_FLOAT_EQ(x[j], static_cast<float>(j + 1)) << j;
}

TEST(KernelsMask, SlidingWindowEdges) {
  // W keys including the query itself: key > query - W.
  EXPECT_FALSE(attention_allowed(10, 3, true, 7));
  EXPECT_TRUE(attention_allowed(10, 4, true, 7));
  EXPECT_TRUE(attention_allowed(10, 10, true, 7));
  EXPECT_FALSE(attention_allowed(10, 11, true, 7));
  EXPECT_TRUE(attention_allowed(10, 0, true, 0));
  EXPECT_FALSE(attention_allowed(10, -1, true, 0));  // empty ring slot
  EXPECT_TRUE(attention_allowed(3, 5, false, 0));
}

// Zero keys give uniform weights; values = position, so the output is the mean of the attended positions.
float mean_attended_position(int64_t query, int64_t window, int64_t num_keys) {
  std::vector<float> keys(num_keys, 0.0f), values(num_keys);
  std::vector<int64_t> positions(num_keys);
  for (int64_t k = 0; k < num_keys; ++k) {
    values[k] = static_cast<float>(k);
    positions[k] = k;
  }
  AttentionParams p;
  p.num_heads = p.num_kv_heads = p.head_dim = 1;
  p.window = window;
  float q = 1.0f, out = -1.0f;
  std::vector<float> scratch;
  kernel_attention(&q, &query, 1, {KeySegment{keys.data(), values.data(), positions.data(), num_keys}}, p, &out,
                   scratch);
  return out;
}

TEST(KernelsAttention, WindowSelectsExactlyWKeys) {
  EXPECT_FLOAT_EQ(mean_attended_position(10, 7, 11), 7.0f);   // keys 4..10
  EXPECT_FLOAT_EQ(mean_attended_position(10, 0, 11), 5.0f);   // keys 0..10
  EXPECT_FLOAT_EQ(mean_attended_position(6, 7, 11), 3.0f);    // keys 0..6 (window not yet full), causal
  EXPECT_FLOAT_EQ(mean_attended_position(7, 7, 11), 4.0f);    // keys 1..7: key 0 drops at exactly W
}

TEST(KernelsAttention, SoftmaxWeightsByHand) {
  // One head, head_dim 1: q=1, keys {0, ln 3} -> weights {1/4, 3/4}; values {0, 4} -> 3.
  std::vector<float> keys{0.0f, std::log(3.0f)}, values{0.0f, 4.0f};
  std::vector<int64_t> positions{0, 1};
  AttentionParams p;
  p.num_heads = p.num_kv_heads = p.head_dim = 1;
  float q = 1.0f, out = 0.0f;
  int64_t qpos = 1;
  std::vector<float> scratch;
  kernel_attention(&q, &qpos, 1, {KeySegment{keys.data(), values.data(), positions.data(), 2}}, p, &out, scratch);
  EXPECT_NEAR(out, 3.0f, 1e-6);
}

TEST(KernelsKvCache, RingKeepsLastWindowPositions) {
  KvCache cache(StateInfo{"kv", 1, 1, 3});
  std::vector<float> k{0, 1, 2, 3, 4}, v{10, 11, 12, 13, 14};
  std::vector<int64_t> pos{0, 1, 2, 3, 4};
  cache.set_pending(k.data(), v.data(), pos.data(), 5);
  ASSERT_EQ(cache.segments().size(), 2u);  // empty ring + pending
  cache.commit();
  EXPECT_EQ(cache.stored(), 3);
  auto segments = cache.segments();
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(std::vector<int64_t>(segments[0].positions, segments[0].positions + 3), (std::vector<int64_t>{3, 4, 2}));
  EXPECT_EQ(segments[0].values[0], 13.0f);
  KvCache full(StateInfo{"kv", 1, 1, 0});
  full.set_pending(k.data(), v.data(), pos.data(), 5);
  full.commit();
  EXPECT_EQ(full.stored(), 5);
}

TEST(KernelsElementwise, RmsNormSoftcapGelu) {
  std::vector<float> x{3, 4}, w{1, 2}, y(2);
  kernel_rms_norm(x.data(), 1, 2, w.data(), 0.0f, y.data());
  EXPECT_NEAR(y[0], 3 / std::sqrt(12.5), 1e-6);
  EXPECT_NEAR(y[1], 2 * 4 / std::sqrt(12.5), 1e-6);
  kernel_rms_norm(x.data(), 1, 2, nullptr, 12.5f, y.data());  // no weight, eps counts
  EXPECT_NEAR(y[0], 3 / 5.0, 1e-6);
  float capped = 0.0f, in = 30.0f;
  kernel_softcap(&in, 1, 30.0f, &capped);
  EXPECT_NEAR(capped, 30.0 * std::tanh(1.0), 1e-5);
  EXPECT_NEAR(gelu_tanh(1.0f), 0.8411920, 1e-6);
  EXPECT_NEAR(gelu_tanh(-1.0f), -0.1588080, 1e-6);
  EXPECT_EQ(gelu_tanh(0.0f), 0.0f);
}

TEST(KernelsLinear, GemvAndGemm) {
  std::vector<float> w{1, 2, 3, 4, 5, 6};  // [2, 3]
  std::vector<float> x{1, 0, -1, 2, 1, 0};  // [2, 3]
  std::vector<float> y(4);
  kernel_linear(x.data(), 1, 3, w.data(), 2, y.data());
  EXPECT_FLOAT_EQ(y[0], -2.0f);
  EXPECT_FLOAT_EQ(y[1], -2.0f);
  kernel_linear(x.data(), 2, 3, w.data(), 2, y.data());
  EXPECT_FLOAT_EQ(y[2], 4.0f);
  EXPECT_FLOAT_EQ(y[3], 13.0f);
}

}  // namespace
}  // namespace hfb
