// The common scheme interface: names, shape checks, TensorInfo input, decode, matvec, validation.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "core/byte_source.h"
#include "quant/scheme.h"
#include "tests/quant/quant_test_util.h"

namespace hfb {
namespace {

constexpr Scheme kAll[] = {Scheme::kNone, Scheme::kInt8, Scheme::kInt4, Scheme::kQ4_0,
                           Scheme::kQ8_0, Scheme::kKmeans4, Scheme::kKmeans8};

TEST(Scheme, NamesRoundTrip) {
  for (Scheme s : kAll) {
    auto back = parse_scheme(scheme_name(s));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
  auto bad = parse_scheme("q4_k");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("kmeans8"), std::string::npos);
}

TEST(Scheme, ShapeChecksNameTheTensorAndTheRule) {
  std::vector<float> x(16 * 16, 1.0f);
  SourceMatrix ple{x.data(), DTypeId::kF32, 16, 16, "model.layers.0.per_layer_projection.weight"};
  for (Scheme s : {Scheme::kQ4_0, Scheme::kQ8_0}) {
    auto r = quantize(s, ple, QuantParams{});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().tensor, ple.name);
    EXPECT_NE(r.error().message.find("multiple of 32, got cols=16"), std::string::npos) << r.error().message;
  }
  std::vector<int64_t> ints(4, 0);
  auto u = quantize(Scheme::kInt8, SourceMatrix{ints.data(), DTypeId::kI64, 2, 2, "ids"}, QuantParams{});
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, ErrorCode::kUnsupported);
  QuantParams g0;
  g0.group_size = 0;
  EXPECT_FALSE(quantize(Scheme::kKmeans4, ple, g0).ok());
  EXPECT_FALSE(quantize(Scheme::kInt8, SourceMatrix{x.data(), DTypeId::kF32, 0, 16, "empty"}, QuantParams{}).ok());
}

TEST(Scheme, DecodeMatvecAndEmbeddingAgreeForEveryScheme) {
  const int64_t rows = 45, cols = 96;
  const auto w = test::random_bf16(rows * cols, 0.02f, 4);
  std::vector<float> x(cols);
  for (int64_t c = 0; c < cols; ++c) x[c] = std::sin(0.37f * static_cast<float>(c));
  const SourceMatrix src{w.data(), DTypeId::kBF16, rows, cols, "w"};
  for (Scheme s : kAll) {
    auto enc = quantize(s, src, QuantParams{});
    ASSERT_TRUE(enc.ok()) << enc.error().to_string();
    ASSERT_TRUE(validate_encoded(*enc).ok()) << validate_encoded(*enc).error().to_string();
    std::vector<float> dense(rows * cols), y(rows), part(10), row(cols);
    dequantize_rows(*enc, 0, rows, dense.data());
    matvec(*enc, x.data(), y.data());
    matvec_rows(*enc, x.data(), 20, 30, part.data());
    for (int64_t r = 0; r < rows; ++r) {
      double expect = 0;
      for (int64_t c = 0; c < cols; ++c) expect += static_cast<double>(dense[r * cols + c]) * x[c];
      EXPECT_NEAR(y[r], expect, 1e-5) << scheme_name(s) << " row " << r;
      if (r >= 20 && r < 30) {
        EXPECT_EQ(part[r - 20], y[r]);
      }
    }
    embedding_row(*enc, 33, row.data());
    EXPECT_EQ(0, std::memcmp(row.data(), dense.data() + 33 * cols, cols * sizeof(float))) << scheme_name(s);
    if (s == Scheme::kNone) {
      EXPECT_EQ(enc->metrics.sse, 0.0);
    } else {
      EXPECT_GT(enc->metrics.snr_db(), 5.0) << scheme_name(s);
    }
  }
}

TEST(Scheme, ResultsDoNotDependOnTheThreadCount) {
  const auto w = test::random_bf16(70 * 64, 0.02f, 8);
  const SourceMatrix src{w.data(), DTypeId::kBF16, 70, 64, "w"};
  for (Scheme s : kAll) {
    QuantParams one, three;
    one.num_threads = 1;
    three.num_threads = 3;
    auto a = quantize(s, src, one);
    auto b = quantize(s, src, three);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->codes, b->codes) << scheme_name(s);
    EXPECT_EQ(a->scales, b->scales);
    EXPECT_EQ(a->lut, b->lut);
    EXPECT_EQ(a->metrics.sse, b->metrics.sse);
  }
}

TEST(Scheme, QuantizesATensorInfoAndKeepsItsShape) {
  const auto w = test::random_bf16(4 * 8 * 32, 0.02f, 2);
  std::vector<uint8_t> bytes(1 + w.size() * 2);  // odd offset: the data is unaligned in the source
  std::memcpy(bytes.data() + 1, w.data(), w.size() * 2);
  TensorInfo info;
  info.name = "conv.weight";
  info.dtype = DTypeId::kBF16;
  info.shape = Shape({4, 8, 32});
  info.source = std::make_shared<MemorySource>(bytes);
  info.offset = 1;
  info.num_bytes = w.size() * 2;
  auto enc = quantize(Scheme::kQ8_0, info, QuantParams{});
  ASSERT_TRUE(enc.ok()) << enc.error().to_string();
  // Rank 3 is a stack of 4 matrices [8, 32] (quant/policy.h matrix_view): 32 rows of 32.
  EXPECT_EQ(enc->rows, 32);
  EXPECT_EQ(enc->cols, 32);
  EXPECT_EQ(enc->shape, Shape({4, 8, 32}));
  EXPECT_TRUE(validate_encoded(*enc).ok());
  info.num_bytes -= 2;
  auto bad = quantize(Scheme::kQ8_0, info, QuantParams{});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidFile);
}

TEST(Scheme, ValidateEncodedCatchesTruncation) {
  const auto w = test::random_bf16(8 * 64, 0.02f, 1);
  for (Scheme s : kAll) {
    auto enc = quantize(s, SourceMatrix{w.data(), DTypeId::kBF16, 8, 64, "t"}, QuantParams{});
    ASSERT_TRUE(enc.ok());
    EncodedTensor cut = *enc;
    cut.codes.pop_back();
    auto st = validate_encoded(cut);
    ASSERT_FALSE(st.ok()) << scheme_name(s);
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidFile);
    EXPECT_EQ(st.error().tensor, "t");
    if (!enc->scales.empty()) {
      EncodedTensor no_scales = *enc;
      no_scales.scales.clear();
      EXPECT_FALSE(validate_encoded(no_scales).ok()) << scheme_name(s);
    }
  }
}

TEST(Scheme, Int8GridFixtureIsLosslessUnderQ8_0) {
  int lossless = 0;
  for (const auto& t : test::read_safetensors(std::string(HFB_FIXTURES_DIR) + "/gemma4/grid-int8/model.safetensors")) {
    if (t.shape.size() != 2 || t.shape[1] % 32 != 0 || t.shape[0] * t.shape[1] <= 256) continue;
    auto enc = quantize(Scheme::kQ8_0, SourceMatrix{t.bytes.data(), *DType::from_name(t.dtype), t.shape[0],
                                                    t.shape[1], t.name}, QuantParams{});
    ASSERT_TRUE(enc.ok());
    EXPECT_EQ(enc->metrics.sse, 0.0) << t.name;
    ++lossless;
  }
  EXPECT_GE(lossless, 30);
}

}  // namespace
}  // namespace hfb
