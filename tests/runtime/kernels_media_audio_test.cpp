// Audio-tower kernels, each on its own: conv2d, LayerNorm, GLU, causal depthwise conv, sinusoid positions,
// per-dim scale, and the chunked local attention (window, padded frames, relative-position shift).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/kernels.h"
#include "runtime/kernels_audio.h"

namespace hfb {
namespace {

TEST(KernelsMediaAudio, Conv2dStrideAndZeroPadding) {
  // x [3, 3, 1] = 1..9, w [1, 1, 3, 3] all ones, stride 2, padding 1 -> [2, 2, 1] sums of 3x3 windows.
  std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9}, w(9, 1.0f), y(4);
  kernel_conv2d(x.data(), 3, 3, 1, w.data(), 1, 3, 3, 2, 1, y.data());
  EXPECT_FLOAT_EQ(y[0], 1 + 2 + 4 + 5);
  EXPECT_FLOAT_EQ(y[1], 2 + 3 + 5 + 6);
  EXPECT_FLOAT_EQ(y[2], 4 + 5 + 7 + 8);
  EXPECT_FLOAT_EQ(y[3], 5 + 6 + 8 + 9);
}

TEST(KernelsMediaAudio, Conv2dChannelsLastLayout) {
  // x [1, 1, 2] channels (1, 10); w [2 out, 2 in, 1, 1] = [[1, 0], [2, 3]] -> (1, 32).
  std::vector<float> x{1, 10}, w{1, 0, 2, 3}, y(2);
  kernel_conv2d(x.data(), 1, 1, 2, w.data(), 2, 1, 1, 1, 0, y.data());
  EXPECT_FLOAT_EQ(y[0], 1.0f);
  EXPECT_FLOAT_EQ(y[1], 32.0f);
}

TEST(KernelsMediaAudio, LayerNormSubtractsMeanAndScales) {
  std::vector<float> x{1, 2, 3}, w{1, 1, 2}, y(3);
  kernel_layer_norm(x.data(), 1, 3, w.data(), 0.0f, y.data());
  const float s = 1.0f / std::sqrt(2.0f / 3.0f);
  EXPECT_NEAR(y[0], -s, 1e-6);
  EXPECT_NEAR(y[1], 0.0f, 1e-6);
  EXPECT_NEAR(y[2], 2 * s, 1e-6);
}

TEST(KernelsMediaAudio, GluGatesFirstHalfBySecond) {
  std::vector<float> x{2, 3, 0, 100}, y(2);
  kernel_glu(x.data(), 1, 2, y.data());
  EXPECT_FLOAT_EQ(y[0], 1.0f);  // 2 * sigmoid(0)
  EXPECT_NEAR(y[1], 3.0f, 1e-6);
}

TEST(KernelsMediaAudio, DepthwiseConvIsCausal) {
  // one channel, kernel (10, 1): y[t] = 10 x[t-1] + x[t]
  std::vector<float> x{1, 2, 3}, w{10, 1}, y(3);
  kernel_depthwise_conv1d(x.data(), 3, 1, w.data(), 2, y.data());
  EXPECT_FLOAT_EQ(y[0], 1.0f);
  EXPECT_FLOAT_EQ(y[1], 12.0f);
  EXPECT_FLOAT_EQ(y[2], 23.0f);
}

TEST(KernelsMediaAudio, SinusoidPositionsCountDown) {
  std::vector<float> y(8);
  kernel_sinusoid_positions(2, 4, y.data());  // inv_timescales (1, 1e-4); rows position 1 then 0
  EXPECT_NEAR(y[0], std::sin(1.0f), 1e-6);
  EXPECT_NEAR(y[1], std::sin(1e-4f), 1e-7);
  EXPECT_NEAR(y[2], std::cos(1.0f), 1e-6);
  EXPECT_FLOAT_EQ(y[4], 0.0f);
  EXPECT_FLOAT_EQ(y[6], 1.0f);
}

TEST(KernelsMediaAudio, PerDimScaleUsesSoftplus) {
  Node node;
  node.op = OpType::kPerDimScale;
  node.attributes["scale"] = 2.0;
  std::vector<float> x{1, 1}, w{0, 30};
  MediaTensor tx{x.data(), nullptr, {1, 2}}, tw{w.data(), nullptr, {2}};
  std::vector<float> y(2);
  ASSERT_TRUE(execute_media_op(node, {tx, tw}, {1, 2}, y.data()).ok());
  EXPECT_NEAR(y[0], 2 * std::log(2.0f), 1e-6);
  EXPECT_NEAR(y[1], 60.0f, 1e-4);
}

LocalAttentionParams params(int64_t length, int64_t chunk, int64_t left, int64_t rel_count) {
  LocalAttentionParams p;
  p.length = length;
  p.heads = 1;
  p.head_dim = 2;
  p.rel_count = rel_count;
  p.chunk = chunk;
  p.context_left = left;
  p.logit_cap = 1e6f;
  return p;
}

TEST(KernelsMediaAudio, LocalAttentionWithoutRelativeTermIsWindowedCausal) {
  const int64_t t = 7;
  std::vector<float> q(t * 2), k(t * 2), v(t * 2), rel(3 * 2, 0.0f), mask(t, 1.0f), ours(t * 2), ref(t * 2);
  for (int64_t i = 0; i < t * 2; ++i) {
    q[i] = std::sin(0.7f * i);
    k[i] = std::cos(0.3f * i);
    v[i] = 0.1f * i;
  }
  kernel_local_attention(q.data(), k.data(), v.data(), rel.data(), mask.data(), params(t, 2, 3, 3), ours.data());
  // HF window: 0 <= q - k < context_left - 1 = 2 keys (the query and one before).
  std::vector<int64_t> positions(t);
  for (int64_t i = 0; i < t; ++i) positions[i] = i;
  AttentionParams a;
  a.num_heads = a.num_kv_heads = 1;
  a.head_dim = 2;
  a.window = 2;
  std::vector<float> scratch;
  kernel_attention(q.data(), positions.data(), t, {KeySegment{k.data(), v.data(), positions.data(), t}}, a,
                   ref.data(), scratch);
  for (int64_t i = 0; i < t * 2; ++i) EXPECT_NEAR(ours[i], ref[i], 1e-5) << i;
}

TEST(KernelsMediaAudio, LocalAttentionMasksPaddedFrames) {
  const int64_t t = 4;
  std::vector<float> q(t * 2, 0.0f), k(t * 2, 0.0f), v{1, 1, 2, 2, 1000, 1000, 4, 4}, rel(4 * 2, 0.0f);
  std::vector<float> mask{1, 1, 0, 1}, out(t * 2);
  kernel_local_attention(q.data(), k.data(), v.data(), rel.data(), mask.data(), params(t, 3, 4, 4), out.data());
  EXPECT_FLOAT_EQ(out[2 * 3], (2.0f + 4.0f) / 2);  // query 3 sees keys 1..3 minus the padded frame 2
}

TEST(KernelsMediaAudio, LocalAttentionInvertedMaskAttendsOutsideTheWindow) {
  // HF eager quirk: the in-range keys the window / padding exclude are the attended ones.
  const int64_t t = 4;
  std::vector<float> q(t * 2, 0.0f), k(t * 2, 0.0f), v{1, 1, 2, 2, 1000, 1000, 4, 4}, rel(4 * 2, 0.0f);
  std::vector<float> mask{1, 1, 0, 1}, out(t * 2);
  LocalAttentionParams p = params(t, 3, 2, 4);  // window: the query itself only
  p.inverted_mask = true;
  kernel_local_attention(q.data(), k.data(), v.data(), rel.data(), mask.data(), p, out.data());
  // query 0 (block 0, context keys -1..2): in range 0..2, allowed {0} -> attends keys 1, 2
  EXPECT_FLOAT_EQ(out[0], (2.0f + 1000.0f) / 2);
  // query 3 (block 1, context keys 2..5): in range 2, 3; allowed {3} -> attends key 2 only
  EXPECT_FLOAT_EQ(out[2 * 3], 1000.0f);
}

TEST(KernelsMediaAudio, LocalAttentionRelativeRowIsDistanceFromTheEnd) {
  // chunk 3, context_left 4 (P = 3), F = 4 rows: rel row f scores distance P - f; q = (1, 0), k = 0, v = key index.
  const int64_t t = 6, chunk = 3, left = 4, rows = 4;
  std::vector<float> q(t * 2, 0.0f), k(t * 2, 0.0f), v(t * 2, 0.0f), rel(rows * 2, 0.0f), mask(t, 1.0f), out(t * 2);
  for (int64_t i = 0; i < t; ++i) {
    q[2 * i] = 1.0f;
    v[2 * i] = static_cast<float>(i);
  }
  const float r[4] = {9.0f, 0.5f, -0.25f, 1.5f};
  for (int64_t f = 0; f < rows; ++f) rel[2 * f] = r[f];
  kernel_local_attention(q.data(), k.data(), v.data(), rel.data(), mask.data(), params(t, chunk, left, rows),
                         out.data());
  for (int64_t query = 0; query < t; ++query) {
    double num = 0.0, den = 0.0;
    for (int64_t dist = 0; dist < left - 1 && dist <= query; ++dist) {
      double w = std::exp(r[(left - 1) - dist]);
      num += w * (query - dist);
      den += w;
    }
    EXPECT_NEAR(out[2 * query], num / den, 1e-5) << query;
  }
}

}  // namespace
}  // namespace hfb
