// int8 / int4 absmax: lossless on their grid, exact layout, correct metrics, clear errors, fast == reference.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "quant/scheme.h"
#include "tests/quant/quant_test_util.h"

namespace hfb {
namespace {

SourceMatrix f32_matrix(const std::vector<float>& x, int64_t rows, int64_t cols, const char* name = "w") {
  return SourceMatrix{x.data(), DTypeId::kF32, rows, cols, name};
}

// Values k * s with a +-qmax * s element in every block of `block` along the row.
std::vector<float> grid(int64_t rows, int64_t cols, int qmax, float s, int64_t block, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> k(-qmax, qmax);
  std::vector<float> x(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows * cols; ++i) x[i] = static_cast<float>(k(rng)) * s;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; c += block) x[r * cols + c] = (c / block) % 2 ? qmax * s : -qmax * s;
  }
  return x;
}

TEST(Absmax, LosslessOnTheGridForEveryGranularity) {
  for (Scheme s : {Scheme::kInt8, Scheme::kInt4}) {
    const int qmax = s == Scheme::kInt8 ? 127 : 7;
    const auto x = grid(12, 96, qmax, 0.0078125f, 32, 1);
    for (int variant = 0; variant < 4; ++variant) {
      QuantParams p;
      p.block_size = variant == 1 ? 32 : 0;
      p.per_tensor = variant == 2;
      p.f32_scales = variant == 3;
      auto enc = quantize(s, f32_matrix(x, 12, 96), p);
      ASSERT_TRUE(enc.ok()) << enc.error().to_string();
      EXPECT_EQ(enc->metrics.sse, 0.0) << scheme_name(s) << " variant " << variant;
      EXPECT_EQ(enc->metrics.snr_db(), std::numeric_limits<double>::infinity());
      EXPECT_TRUE(validate_encoded(*enc).ok());
    }
  }
}

TEST(Absmax, Int4NibbleOrderAndOddRows) {
  const std::vector<float> x = {7.0f, -7.0f, 1.0f};  // scale 1: codes 7, -7, 1 -> nibbles 15, 1, 9
  auto enc = quantize(Scheme::kInt4, f32_matrix(x, 1, 3), QuantParams{});
  ASSERT_TRUE(enc.ok());
  ASSERT_EQ(enc->codes.size(), 2u);
  EXPECT_EQ(enc->codes[0], 0x1F);  // low nibble = column 0, high nibble = column 1
  EXPECT_EQ(enc->codes[1], 0x89);  // column 2, then the padding nibble 8 (= 0)
  ASSERT_EQ(enc->scales.size(), 2u);
  EXPECT_EQ(enc->scales[0] | (enc->scales[1] << 8), 0x3C00);  // f16 1.0, little-endian
  std::vector<float> back(3);
  embedding_row(*enc, 0, back.data());
  EXPECT_EQ(back, x);
}

TEST(Absmax, Int8LayoutBlocksAndTheSmallerLastBlock) {
  std::vector<float> x(100, 0.5f);
  x[10] = 127.0f;   // block 0 (cols 0..47): scale 1
  x[60] = -254.0f;  // block 1 (48..95): scale 2
  x[97] = 12.7f;    // block 2 (96..99, smaller): scale 0.1 (f32 scales here)
  QuantParams p;
  p.block_size = 48;
  p.f32_scales = true;
  auto enc = quantize(Scheme::kInt8, f32_matrix(x, 1, 100), p);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->blocks_per_row(), 3);
  ASSERT_EQ(enc->scales.size(), 12u);
  EXPECT_EQ(enc->scale_at(0), 1.0f);
  EXPECT_EQ(enc->scale_at(1), 2.0f);
  EXPECT_EQ(enc->scale_at(2), 12.7f / 127.0f);
  EXPECT_EQ(static_cast<int8_t>(enc->codes[10]), 127);
  EXPECT_EQ(static_cast<int8_t>(enc->codes[60]), -127);
  EXPECT_EQ(static_cast<int8_t>(enc->codes[0]), 1);   // 0.5 / 1 rounds half away from zero
  EXPECT_EQ(static_cast<int8_t>(enc->codes[50]), 0);  // 0.5 / 2 = 0.25 -> 0
}

TEST(Absmax, MetricsOfAKnownError) {
  // One row [127, 0.4]: scale 1 (f16 exact), codes 127 and 0, so the only error is 0.4.
  const std::vector<float> x = {127.0f, 0.4f};
  auto enc = quantize(Scheme::kInt8, f32_matrix(x, 1, 2), QuantParams{});
  ASSERT_TRUE(enc.ok());
  const double e = static_cast<double>(0.4f);
  const double signal = 127.0 * 127.0 + e * e;
  EXPECT_EQ(enc->metrics.num_weights, 2);
  EXPECT_DOUBLE_EQ(enc->metrics.sse, e * e);
  EXPECT_DOUBLE_EQ(enc->metrics.sse_per_weight(), e * e / 2);
  EXPECT_DOUBLE_EQ(enc->metrics.snr_db(), 10.0 * std::log10(signal / (e * e)));
  EXPECT_NEAR(enc->metrics.snr_db(), 50.035, 0.001);  // 10 log10(16129.16 / 0.16)
  EXPECT_DOUBLE_EQ(enc->metrics.max_rel_error(), e / 127.0);
}

TEST(Absmax, ErrorsNameTheTensorAndRow) {
  std::vector<float> x(4 * 8, 1.0f);
  x[2 * 8 + 3] = std::numeric_limits<float>::quiet_NaN();
  auto bad = quantize(Scheme::kInt8, f32_matrix(x, 4, 8, "mlp.w"), QuantParams{});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().tensor, "mlp.w");
  EXPECT_NE(bad.error().message.find("row 2"), std::string::npos) << bad.error().message;

  std::vector<float> huge(8, 1e7f);  // 1e7 / 127 > 65504: f16 scale overflows
  auto over = quantize(Scheme::kInt8, f32_matrix(huge, 1, 8, "big"), QuantParams{});
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("f32 scales"), std::string::npos) << over.error().message;
  QuantParams f32;
  f32.f32_scales = true;
  EXPECT_TRUE(quantize(Scheme::kInt8, f32_matrix(huge, 1, 8, "big"), f32).ok());
}

TEST(Absmax, FastIsBitIdenticalToReference) {
  const auto bf = test::random_bf16(33 * 257, 0.02f, 21);
  std::vector<float> f32(bf.size());
  for (size_t i = 0; i < bf.size(); ++i) f32[i] = bf16_to_f32(bf[i]) * ((i % 97) == 0 ? 30.0f : 1.0f);
  const std::vector<SourceMatrix> sources = {{bf.data(), DTypeId::kBF16, 33, 257, "bf"},
                                             {f32.data(), DTypeId::kF32, 33, 257, "f32"}};
  for (const auto& src : sources) {
    for (Scheme s : {Scheme::kInt8, Scheme::kInt4}) {
      for (int variant = 0; variant < 4; ++variant) {
        QuantParams p;
        p.block_size = variant == 1 ? 32 : variant == 3 ? 100 : 0;
        p.per_tensor = variant == 2;
        p.f32_scales = variant == 3;
        p.num_threads = 3;
        auto fast = quantize(s, src, p);
        auto ref = quantize_reference(s, src, p);
        ASSERT_TRUE(fast.ok() && ref.ok());
        EXPECT_EQ(fast->codes, ref->codes) << src.name << " " << scheme_name(s) << " v" << variant;
        EXPECT_EQ(fast->scales, ref->scales);
        EXPECT_EQ(fast->metrics.sse, ref->metrics.sse);
        EXPECT_GT(fast->metrics.snr_db(), s == Scheme::kInt8 ? 20.0 : 3.0);  // 30x outliers cost SNR
      }
    }
  }
}

// The grid fixtures: int8 / int4 tensors (one power-of-two scale per tensor, +-qmax*s in every 32-block).
void expect_grid_lossless(const char* set, Scheme scheme, int min_tensors) {
  int lossless = 0;
  for (const auto& t : test::read_safetensors(std::string(HFB_FIXTURES_DIR) + "/gemma4/" + set + "/model.safetensors")) {
    if (t.shape.size() != 2 || t.shape[0] * t.shape[1] <= 256 || t.name.find("position") != std::string::npos) continue;
    const bool embed = t.name.find("embed") != std::string::npos;
    const Scheme s = embed ? Scheme::kInt8 : scheme;  // embedding tables are on the int8 grid in every set
    SourceMatrix src{t.bytes.data(), *DType::from_name(t.dtype), t.shape[0], t.shape[1], t.name};
    for (int variant = 0; variant < 3; ++variant) {
      QuantParams p;
      p.per_tensor = variant == 1;
      p.block_size = variant == 2 && t.shape[1] % 32 == 0 ? 32 : 0;
      auto enc = quantize(s, src, p);
      ASSERT_TRUE(enc.ok()) << enc.error().to_string();
      EXPECT_EQ(enc->metrics.sse, 0.0) << set << " " << t.name << " variant " << variant;
    }
    ++lossless;
  }
  EXPECT_GE(lossless, min_tensors) << set;
}

TEST(Absmax, GridFixturesAreLossless) {
  expect_grid_lossless("grid-int8", Scheme::kInt8, 40);
  expect_grid_lossless("grid-int4", Scheme::kInt4, 40);
  expect_grid_lossless("grid-int8-mm", Scheme::kInt8, 60);
}

}  // namespace
}  // namespace hfb
