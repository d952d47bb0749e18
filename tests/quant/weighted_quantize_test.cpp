// Calibrated (column-weighted) quantization against scalar references: the weighted error of the chosen
// scales / LUTs is never above the unweighted encoding's, and for k-means never above a weighted Lloyd palette;
// bit-exact formats and per-tensor scales are untouched, per-row scales searched; bytes independent of the thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "quant/scheme.h"
#include "quant/weighted_quantize.h"

namespace hfb {
namespace {

struct Case {
  std::vector<float> data;
  std::vector<float> weights;
  int64_t rows = 0, cols = 0;
  SourceMatrix src() const {
    SourceMatrix s;
    s.data = data.data();
    s.dtype = DTypeId::kF32;
    s.rows = rows;
    s.cols = cols;
    s.name = "w";
    return s;
  }
};

/// Gaussian weights with a few heavy columns, and activation-like column weights (log-normal, a few large).
Case make_case(int64_t rows, int64_t cols, uint32_t seed) {
  Case c;
  c.rows = rows;
  c.cols = cols;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  c.data.resize(static_cast<size_t>(rows * cols));
  for (float& v : c.data) v = normal(rng) * 0.05f;
  for (int64_t r = 0; r < rows; ++r) c.data[r * cols + (r * 7) % cols] *= 6.0f;  // outliers
  c.weights.resize(static_cast<size_t>(cols));
  for (float& w : c.weights) w = std::exp(1.5f * normal(rng));
  for (int64_t k = 0; k < cols; k += 17) c.weights[k] *= 40.0f;
  return c;
}

struct Encoded {
  EncodedTensor plain, weighted;
};

/// `scheme` with and without the case's column weights (a failed ASSERT leaves both empty).
Encoded encode_both(Scheme scheme, const Case& c, const QuantParams& p) {
  auto plain = quantize(scheme, c.src(), p);
  auto weighted = quantize_weighted(scheme, c.src(), p, c.weights);
  EXPECT_TRUE(plain.ok() && weighted.ok());
  if (!plain.ok() || !weighted.ok()) return {};
  return Encoded{std::move(*plain), std::move(*weighted)};
}

QuantParams params_for(int64_t block, int64_t group, int threads) {
  QuantParams p;
  p.block_size = block;
  p.group_size = group;
  p.num_threads = threads;
  return p;
}

TEST(WeightedQuantize, WeightedErrorNeverAboveUnweighted) {
  const Case c = make_case(48, 96, 1);
  struct Setup {
    Scheme scheme;
    int64_t block, group;
    bool strictly;
  };
  for (const Setup& s : {Setup{Scheme::kInt4, 32, 32, true}, Setup{Scheme::kInt4, 48, 32, true},
                         Setup{Scheme::kInt8, 32, 32, false}, Setup{Scheme::kKmeans4, 0, 16, true},
                         Setup{Scheme::kKmeans8, 0, 48, false}}) {
    SCOPED_TRACE(std::string(scheme_name(s.scheme)) + " block " + std::to_string(s.block));
    const Encoded e = encode_both(s.scheme, c, params_for(s.block, s.group, 1));
    ASSERT_EQ(e.weighted.rows, c.rows);
    EXPECT_EQ(e.weighted.encoded_bytes(), e.plain.encoded_bytes());  // same size
    const double e_plain = weighted_squared_error(c.src(), e.plain, c.weights);
    const double e_weighted = weighted_squared_error(c.src(), e.weighted, c.weights);
    EXPECT_LE(e_weighted, e_plain * (1 + 1e-12));
    if (s.strictly) {
      EXPECT_LT(e_weighted, 0.97 * e_plain);  // a real gain, not a tie
    }
  }
}

/// Per block too: no int4 block's weighted error grows (the absmax candidate is always in the search).
TEST(WeightedQuantize, Int4EveryBlockNoWorse) {
  const Case c = make_case(16, 64, 2);
  const Encoded e = encode_both(Scheme::kInt4, c, params_for(32, 32, 1));
  ASSERT_EQ(e.weighted.rows, c.rows);
  std::vector<float> a(64), b(64);
  for (int64_t r = 0; r < c.rows; ++r) {
    dequantize_rows(e.plain, r, r + 1, a.data());
    dequantize_rows(e.weighted, r, r + 1, b.data());
    for (int64_t c0 = 0; c0 < 64; c0 += 32) {
      double ea = 0, eb = 0;
      for (int64_t k = c0; k < c0 + 32; ++k) {
        const double x = c.data[r * 64 + k];
        ea += c.weights[k] * (x - a[k]) * (x - a[k]);
        eb += c.weights[k] * (x - b[k]) * (x - b[k]);
      }
      EXPECT_LE(eb, ea * (1 + 1e-12)) << "row " << r << " block " << c0;
    }
  }
}

/// A scalar weighted Lloyd k-means (started from the unweighted LUT) never beats the weighted quantizer's LUT,
/// which is the exact optimum of the weighted objective.
TEST(WeightedQuantize, KmeansLutNoWorseThanWeightedLloyd) {
  const Case c = make_case(32, 64, 3);
  const Encoded e = encode_both(Scheme::kKmeans4, c, params_for(0, 32, 1));
  ASSERT_EQ(e.plain.lut.size(), 16u);
  std::vector<double> lut(e.plain.lut.begin(), e.plain.lut.begin() + 16);
  double lloyd_error = 0;
  for (int iter = 0; iter < 50; ++iter) {
    std::vector<double> sw(16, 0), swx(16, 0);
    lloyd_error = 0;
    for (size_t i = 0; i < c.data.size(); ++i) {
      const double x = c.data[i], w = c.weights[i % 64];
      int best = 0;
      for (int k = 1; k < 16; ++k) {
        if (std::fabs(x - lut[k]) < std::fabs(x - lut[best])) best = k;
      }
      sw[best] += w;
      swx[best] += w * x;
      lloyd_error += w * (x - lut[best]) * (x - lut[best]);
    }
    for (int k = 0; k < 16; ++k) {
      if (sw[k] > 0) lut[k] = swx[k] / sw[k];
    }
  }
  const double e_weighted = weighted_squared_error(c.src(), e.weighted, c.weights);
  EXPECT_LE(e_weighted, lloyd_error * (1 + 1e-6));
}

TEST(WeightedQuantize, BitExactSchemesAndPerTensorUntouched) {
  const Case c = make_case(8, 64, 4);
  for (Scheme scheme : {Scheme::kQ4_0, Scheme::kQ8_0, Scheme::kNone, Scheme::kInt8, Scheme::kInt4}) {
    QuantParams p = params_for(0, 32, 1);
    p.per_tensor = scheme == Scheme::kInt8 || scheme == Scheme::kInt4;  // one scale: nothing to choose
    EXPECT_FALSE(calibration_applies(scheme, c.rows, c.cols, p)) << scheme_name(scheme);
    const Encoded e = encode_both(scheme, c, p);
    ASSERT_EQ(e.plain.rows, c.rows);
    EXPECT_EQ(e.weighted.codes, e.plain.codes) << scheme_name(scheme);
    EXPECT_EQ(e.weighted.scales, e.plain.scales) << scheme_name(scheme);
  }
  EXPECT_TRUE(calibration_applies(Scheme::kInt4, 8, 64, params_for(32, 32, 1)));
  EXPECT_TRUE(calibration_applies(Scheme::kKmeans8, 8, 64, params_for(0, 32, 1)));
}

// Per row (the default int8 / int4, e.g. the tied embedding / head): the scale search runs once per row, and the
// weighted error is never above plain absmax's, and lower somewhere.
TEST(WeightedQuantize, PerRowScaleSearchNeverWorseInTheWeightedError) {
  const Case c = make_case(32, 96, 7);
  for (Scheme scheme : {Scheme::kInt8, Scheme::kInt4}) {
    const QuantParams p = params_for(0, 32, 1);
    EXPECT_TRUE(calibration_applies(scheme, c.rows, c.cols, p)) << scheme_name(scheme);
    const Encoded e = encode_both(scheme, c, p);
    ASSERT_EQ(e.weighted.scales.size(), e.plain.scales.size());  // one scale per row: the same size
    const double plain = weighted_squared_error(c.src(), e.plain, c.weights);
    const double weighted = weighted_squared_error(c.src(), e.weighted, c.weights);
    EXPECT_LE(weighted, plain) << scheme_name(scheme);
    EXPECT_LT(weighted, plain * 0.999) << scheme_name(scheme);
  }
}

TEST(WeightedQuantize, SameBytesAnyThreadCountAndReference) {
  const Case c = make_case(64, 96, 5);
  std::vector<uint16_t> bf16(c.data.size());
  for (size_t i = 0; i < bf16.size(); ++i) bf16[i] = f32_to_bf16(c.data[i]);
  for (Scheme scheme : {Scheme::kInt4, Scheme::kInt8, Scheme::kKmeans4}) {
    for (bool use_bf16 : {false, true}) {
      SourceMatrix src = c.src();
      if (use_bf16) {
        src.data = bf16.data();
        src.dtype = DTypeId::kBF16;
      }
      auto ref = quantize_weighted_reference(scheme, src, params_for(32, 16, 1), c.weights);
      auto fast = quantize_weighted(scheme, src, params_for(32, 16, 3), c.weights);
      ASSERT_TRUE(ref.ok() && fast.ok());
      EXPECT_EQ(fast->codes, ref->codes) << scheme_name(scheme);
      EXPECT_EQ(fast->scales, ref->scales) << scheme_name(scheme);
      EXPECT_EQ(fast->lut, ref->lut) << scheme_name(scheme);
    }
  }
}

TEST(WeightedQuantize, BadWeightsAreNamedErrors) {
  const Case c = make_case(4, 32, 6);
  std::vector<float> short_weights(31, 1.0f);
  auto wrong_size = quantize_weighted(Scheme::kInt4, c.src(), params_for(16, 32, 1), short_weights);
  ASSERT_FALSE(wrong_size.ok());
  EXPECT_EQ(wrong_size.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong_size.error().to_string().find("31 column weights"), std::string::npos);
  std::vector<float> zero(32, 1.0f);
  zero[5] = 0.0f;
  auto zero_weight = quantize_weighted(Scheme::kKmeans4, c.src(), params_for(0, 32, 1), zero);
  ASSERT_FALSE(zero_weight.ok());
  EXPECT_NE(zero_weight.error().to_string().find("column weight 5"), std::string::npos);
}

}  // namespace
}  // namespace hfb
