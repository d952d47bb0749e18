// kmeans4 / kmeans8: the DP is optimal (vs brute force and Lloyd), lossless on few values, groups never skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <set>

#include "quant/kmeans_dp.h"
#include "quant/scheme.h"
#include "tests/quant/quant_test_util.h"

namespace hfb {
namespace {

constexpr double kSseRelTolerance = 1e-9;

// O(k n^2) textbook DP over the same bins: the oracle for optimal_kmeans_1d.
double brute_force_sse(const KmeansBins& b, int k) {
  const int64_t n = b.size();
  const int64_t kk = std::min<int64_t>(k, n);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> d(kk + 1, std::vector<double>(n + 1, inf));
  d[0][0] = 0;
  for (int64_t c = 1; c <= kk; ++c) {
    for (int64_t i = 1; i <= n; ++i) {
      for (int64_t j = 1; j <= i; ++j) {  // last cluster = bins j-1 .. i-1
        if (d[c - 1][j - 1] == inf) continue;
        d[c][i] = std::min(d[c][i], d[c - 1][j - 1] + kmeans_interval_sse(b, j - 1, i - 1));
      }
    }
  }
  return d[kk][n];
}

KmeansBins random_bins(std::mt19937& rng, int64_t n) {
  std::uniform_real_distribution<double> value(-1.0, 1.0);
  std::uniform_int_distribution<int> weight(1, 5);
  std::vector<double> xs(n);
  for (auto& x : xs) x = value(rng);
  std::sort(xs.begin(), xs.end());
  KmeansBins b;
  for (double x : xs) {
    const double w = weight(rng);
    b.w.push_back(w);
    b.sx.push_back(w * x);
    b.sxx.push_back(w * x * x);
  }
  return b;
}

TEST(KmeansDp, EqualsBruteForceOnSmallInputs) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const int64_t n = 1 + static_cast<int64_t>(rng() % 40);
    const int k = 1 + static_cast<int>(rng() % 9);
    const KmeansBins b = random_bins(rng, n);
    double sse = 0;
    const std::vector<int64_t> starts = optimal_kmeans_1d(b, k, &sse);
    const double expected = brute_force_sse(b, k);
    EXPECT_NEAR(sse, expected, kSseRelTolerance * std::max(1.0, expected)) << "n=" << n << " k=" << k;
    // The returned partition really has that cost.
    ASSERT_EQ(static_cast<int64_t>(starts.size()), std::min<int64_t>(k, n));
    double check = 0;
    for (size_t c = 0; c < starts.size(); ++c) {
      const int64_t last = c + 1 < starts.size() ? starts[c + 1] - 1 : n - 1;
      ASSERT_LE(starts[c], last);
      check += kmeans_interval_sse(b, starts[c], last);
    }
    EXPECT_NEAR(check, sse, 1e-9 * std::max(1.0, sse));
  }
}

SourceMatrix bf16_matrix(const std::vector<uint16_t>& data, int64_t rows, int64_t cols) {
  return SourceMatrix{data.data(), DTypeId::kBF16, rows, cols, "w"};
}

// Unweighted Lloyd with k-means++ seeding (the coremltools fallback), on float values.
double lloyd_sse(const std::vector<float>& x, int k, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<double> c = {x[rng() % x.size()]};
  std::vector<double> d2(x.size(), std::numeric_limits<double>::infinity());
  while (static_cast<int>(c.size()) < k) {
    for (size_t i = 0; i < x.size(); ++i) d2[i] = std::min(d2[i], (x[i] - c.back()) * (x[i] - c.back()));
    std::discrete_distribution<size_t> pick(d2.begin(), d2.end());
    c.push_back(x[pick(rng)]);
  }
  double sse = 0;
  for (int iter = 0; iter < 100; ++iter) {
    std::sort(c.begin(), c.end());  // nearest centroid by binary search over the midpoints
    std::vector<double> mid(k - 1);
    for (int j = 0; j + 1 < k; ++j) mid[j] = 0.5 * (c[j] + c[j + 1]);
    std::vector<double> sum(k, 0), cnt(k, 0);
    sse = 0;
    for (float v : x) {
      const int best = static_cast<int>(std::lower_bound(mid.begin(), mid.end(), static_cast<double>(v)) - mid.begin());
      sum[best] += v;
      cnt[best] += 1;
      sse += (v - c[best]) * (v - c[best]);
    }
    for (int j = 0; j < k; ++j) {
      if (cnt[j] > 0) c[j] = sum[j] / cnt[j];
    }
  }
  return sse;
}

TEST(Kmeans, NeverWorseThanLloydWithKmeansPlusPlus) {
  const int64_t rows = 32, cols = 256;
  const auto data = test::random_bf16(rows * cols, 0.02f, 3);
  std::vector<float> x(data.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = bf16_to_f32(data[i]);
  for (Scheme s : {Scheme::kKmeans4, Scheme::kKmeans8}) {
    QuantParams p;
    p.per_tensor = true;
    auto enc = quantize(s, bf16_matrix(data, rows, cols), p);
    ASSERT_TRUE(enc.ok());
    const int k = s == Scheme::kKmeans4 ? 16 : 256;
    for (uint32_t seed = 0; seed < 3; ++seed) {
      EXPECT_LE(enc->metrics.sse, lloyd_sse(x, k, seed) * (1 + 1e-6)) << scheme_name(s) << " seed " << seed;
    }
  }
}

TEST(Kmeans, LosslessWithAtMostKDistinctValuesPerGroup) {
  // 70 rows, G = 32: groups of 32, 32 and 6 rows (the last one smaller, never skipped). Each group
  // uses its own 16 values, so the tensor has 48 distinct values but every group at most 16.
  const int64_t rows = 70, cols = 48;
  std::vector<uint16_t> data(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const int g = static_cast<int>(r / 32);
      data[r * cols + c] = f32_to_bf16(static_cast<float>(g * 16 + (r * 7 + c) % 16) * 0.0625f - 1.5f);
    }
  }
  QuantParams p;
  auto enc = quantize(Scheme::kKmeans4, bf16_matrix(data, rows, cols), p);
  ASSERT_TRUE(enc.ok()) << enc.error().to_string();
  EXPECT_EQ(enc->num_groups(), 3);
  EXPECT_EQ(enc->group_of_row(69), 2);
  EXPECT_EQ(enc->lut.size(), 48u);
  EXPECT_EQ(enc->metrics.sse, 0.0);
  EXPECT_EQ(enc->metrics.snr_db(), std::numeric_limits<double>::infinity());
  // Per tensor, 48 distinct values cannot fit 16 entries but do fit 256.
  p.per_tensor = true;
  auto t4 = quantize(Scheme::kKmeans4, bf16_matrix(data, rows, cols), p);
  auto t8 = quantize(Scheme::kKmeans8, bf16_matrix(data, rows, cols), p);
  ASSERT_TRUE(t4.ok() && t8.ok());
  EXPECT_GT(t4->metrics.sse, 0.0);
  EXPECT_EQ(t8->metrics.sse, 0.0);
}

TEST(Kmeans, FastIsBitIdenticalToReference) {
  const auto bf = test::random_bf16(37 * 65, 0.02f, 5);
  std::vector<uint16_t> f16(bf.size());
  std::vector<float> f32(bf.size());
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (size_t i = 0; i < bf.size(); ++i) {
    f32[i] = normal(rng);
    f16[i] = f32_to_f16(f32[i]);
  }
  const std::vector<SourceMatrix> sources = {{bf.data(), DTypeId::kBF16, 37, 65, "bf"},
                                             {f16.data(), DTypeId::kF16, 37, 65, "f16"},
                                             {f32.data(), DTypeId::kF32, 37, 65, "f32"}};
  for (const auto& src : sources) {
    for (Scheme s : {Scheme::kKmeans4, Scheme::kKmeans8}) {
      for (int variant = 0; variant < 4; ++variant) {
        QuantParams p;
        p.per_tensor = variant == 1;
        p.per_channel_scale = variant == 2;
        p.group_size = variant == 3 ? 10 : 32;
        auto fast = quantize(s, src, p);
        auto ref = quantize_reference(s, src, p);
        ASSERT_TRUE(fast.ok() && ref.ok());
        EXPECT_EQ(fast->codes, ref->codes) << src.name << " " << scheme_name(s) << " v" << variant;
        EXPECT_EQ(fast->lut, ref->lut) << src.name << " " << scheme_name(s) << " v" << variant;
        EXPECT_EQ(fast->scales, ref->scales);
        EXPECT_EQ(fast->metrics.sse, ref->metrics.sse);
        EXPECT_TRUE(validate_encoded(*fast).ok());
      }
    }
  }
}

TEST(Kmeans, PerChannelScaleDecodesWithTheRowScale) {
  const int64_t rows = 4, cols = 64;
  std::vector<float> x(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) x[i] = static_cast<float>((i % 8) - 4) * static_cast<float>(1 << (i / cols));
  QuantParams p;
  p.per_channel_scale = true;
  p.per_tensor = true;
  auto enc = quantize(Scheme::kKmeans4, SourceMatrix{x.data(), DTypeId::kF32, rows, cols, "s"}, p);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->scales.size(), static_cast<size_t>(rows * 2));
  EXPECT_EQ(enc->scale_at(3), 32.0f);  // max |row 3| = 4 * 8
  EXPECT_EQ(enc->metrics.sse, 0.0);    // 8 normalised values
}

TEST(Kmeans, NonFiniteInputIsAnErrorNamingTheRow) {
  std::vector<float> x(3 * 32, 0.5f);
  x[2 * 32 + 5] = std::numeric_limits<float>::infinity();
  auto enc = quantize(Scheme::kKmeans4, SourceMatrix{x.data(), DTypeId::kF32, 3, 32, "layer.w"}, QuantParams{});
  ASSERT_FALSE(enc.ok());
  EXPECT_EQ(enc.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(enc.error().tensor, "layer.w");
  EXPECT_NE(enc.error().message.find("row 2"), std::string::npos) << enc.error().message;
}

TEST(Kmeans, GridFixtureIsLossless) {
  int checked = 0;
  for (const auto& t : test::read_safetensors(std::string(HFB_FIXTURES_DIR) + "/gemma4/grid-kmeans/model.safetensors")) {
    if (t.shape.size() != 2 || t.name.find("embed") != std::string::npos || t.shape[0] * t.shape[1] <= 256) continue;
    const std::vector<float> x = test::widen(t);
    if (std::set<float>(x.begin(), x.end()).size() > 16) continue;  // not a grid tensor
    SourceMatrix src{t.bytes.data(), *DType::from_name(t.dtype), t.shape[0], t.shape[1], t.name};
    QuantParams p;
    p.per_tensor = true;
    for (Scheme s : {Scheme::kKmeans4, Scheme::kKmeans8}) {
      auto enc = quantize(s, src, p);
      ASSERT_TRUE(enc.ok());
      EXPECT_EQ(enc->metrics.sse, 0.0) << t.name;
    }
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

}  // namespace
}  // namespace hfb
