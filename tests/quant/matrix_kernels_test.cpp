// Row kernels: every format's fast (AVX2) and portable fused decode-and-dot against the scalar reference
// on random data with odd sizes, and exact row decoding against the scheme decoders.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "quant/matrix_view.h"
#include "quant/scheme.h"

namespace hfb {
namespace {

/// Tolerance: two float32 sums of the same n products in different orders (and with or without fused
/// multiply-add) each lie within n * 2^-24 * sum|w_c x_c| of the exact sum (the classical recursive
/// summation bound), so they differ by at most kSummationSlack * n * 2^-24 * sum|w_c x_c|.
constexpr double kSummationSlack = 2.0;

struct Case {
  RowFormat format;
  int64_t rows;
  int64_t cols;
  int64_t scale_block = 0;  // int8/int4: 0 = per row
  bool per_tensor = false;
  bool f32_scales = false;
  bool row_scales = false;  // kmeans
  int64_t group_size = 1;   // kmeans
};

std::string describe(const Case& c) {
  return std::string(row_format_name(c.format)) + " [" + std::to_string(c.rows) + "x" + std::to_string(c.cols) +
         "] block " + std::to_string(c.scale_block) + (c.per_tensor ? " per-tensor" : "") +
         (c.f32_scales ? " f32-scales" : "") + (c.row_scales ? " row-scales" : "") + " group " +
         std::to_string(c.group_size);
}

/// Random bytes for every buffer a format reads, with finite scales and d values.
struct RandomMatrix {
  std::vector<uint8_t> codes, scales;
  std::vector<float> lut;
  MatrixView view;
};

uint16_t half_of(float v) { return f32_to_f16(v); }

int64_t row_stride_of(RowFormat f, int64_t cols) {
  switch (f) {
    case RowFormat::kF32: return cols * 4;
    case RowFormat::kBF16:
    case RowFormat::kF16: return cols * 2;
    case RowFormat::kInt8:
    case RowFormat::kKmeans8: return cols;
    case RowFormat::kInt4:
    case RowFormat::kKmeans4: return (cols + 1) / 2;
    case RowFormat::kQ4_0: return cols / 32 * 18;
    case RowFormat::kQ8_0: return cols / 32 * 34;
  }
  return 0;
}

void fill_random(const Case& c, std::mt19937* rng, RandomMatrix* m) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> byte(0, 255);
  const int64_t stride = row_stride_of(c.format, c.cols);
  m->codes.resize(static_cast<size_t>(c.rows * stride));
  for (auto& b : m->codes) b = static_cast<uint8_t>(byte(*rng));
  auto put_half = [&](uint8_t* p, float v) {
    const uint16_t h = half_of(v);
    p[0] = static_cast<uint8_t>(h & 0xFF);
    p[1] = static_cast<uint8_t>(h >> 8);
  };
  if (c.format == RowFormat::kF32) {
    for (int64_t i = 0; i < c.rows * c.cols; ++i) {
      const float v = normal(*rng);
      std::memcpy(m->codes.data() + i * 4, &v, 4);
    }
  } else if (c.format == RowFormat::kBF16 || c.format == RowFormat::kF16) {
    for (int64_t i = 0; i < c.rows * c.cols; ++i) {
      const uint16_t h = c.format == RowFormat::kF16 ? half_of(normal(*rng)) : f32_to_bf16(normal(*rng));
      m->codes[i * 2] = static_cast<uint8_t>(h & 0xFF);
      m->codes[i * 2 + 1] = static_cast<uint8_t>(h >> 8);
    }
  } else if (c.format == RowFormat::kQ4_0 || c.format == RowFormat::kQ8_0) {
    const int64_t block_bytes = c.format == RowFormat::kQ4_0 ? 18 : 34;
    for (int64_t b = 0; b < c.rows * c.cols / 32; ++b) put_half(m->codes.data() + b * block_bytes, 0.01f * normal(*rng));
  }
  const int64_t block = c.scale_block > 0 ? c.scale_block : c.cols;
  const int64_t num_scales = c.per_tensor ? 1 : c.rows * ((c.cols + block - 1) / block);
  const int64_t scale_size = c.f32_scales ? 4 : 2;
  m->scales.resize(static_cast<size_t>(num_scales * scale_size));
  for (int64_t i = 0; i < num_scales; ++i) {
    const float s = 0.05f * normal(*rng);
    if (c.f32_scales) {
      std::memcpy(m->scales.data() + i * 4, &s, 4);
    } else {
      put_half(m->scales.data() + i * 2, s);
    }
  }
  const int64_t lut_size = c.format == RowFormat::kKmeans8 ? 256 : 16;
  m->lut.resize(static_cast<size_t>((c.rows + c.group_size - 1) / c.group_size * lut_size));
  for (auto& v : m->lut) v = normal(*rng);
  MatrixView& v = m->view;
  v.format = c.format;
  v.rows = c.rows;
  v.cols = c.cols;
  v.codes = m->codes.data();
  v.row_stride = stride;
  v.scales = m->scales.data();
  v.f32_scales = c.f32_scales;
  v.scale_block = block;
  v.per_tensor_scale = c.per_tensor;
  v.row_scales = c.row_scales;
  v.lut = m->lut.data();
  v.group_size = c.group_size;
}

/// sum_c |W[r, c] * x[c]| from the exact decoded row.
double abs_sum(const MatrixView& m, int64_t r, const float* x) {
  static std::vector<float> row;
  row.resize(static_cast<size_t>(m.cols));
  matrix_decode_rows(m, r, r + 1, row.data());
  double s = 0;
  for (int64_t c = 0; c < m.cols; ++c) s += std::fabs(static_cast<double>(row[c]) * x[c]);
  return s;
}

void check_case(const Case& c, uint32_t seed) {
  SCOPED_TRACE(describe(c));
  std::mt19937 rng(seed);
  RandomMatrix m;
  fill_random(c, &rng, &m);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(c.cols));
  for (auto& v : x) v = normal(rng);
  std::vector<float> ref(static_cast<size_t>(c.rows)), fast(ref.size()), portable(ref.size());
  matrix_dot_rows_reference(m.view, x.data(), 0, c.rows, ref.data());
  matrix_dot_rows(m.view, x.data(), 0, c.rows, fast.data());
  matrix_dot_rows_portable(m.view, x.data(), 0, c.rows, portable.data());
  int bad = 0;
  for (int64_t r = 0; r < c.rows && bad < 5; ++r) {
    ASSERT_TRUE(std::isfinite(ref[r])) << "row " << r;
    EXPECT_EQ(portable[r], ref[r]) << "row " << r;  // same decode, same 8-lane order
    const double tol = kSummationSlack * static_cast<double>(c.cols) * std::ldexp(1.0, -24) * abs_sum(m.view, r, x.data());
    if (std::fabs(static_cast<double>(fast[r]) - ref[r]) > tol) {
      ++bad;
      ADD_FAILURE() << "row " << r << ": fast " << fast[r] << " reference " << ref[r] << " tolerance " << tol;
    }
  }
  // Row decoding (prefill tiles): the fast decoder gives exactly the scalar decoder's floats.
  std::vector<float> decoded(static_cast<size_t>(c.rows * c.cols)), decoded_ref(decoded.size());
  matrix_decode_rows(m.view, 0, c.rows, decoded.data());
  matrix_decode_rows_portable(m.view, 0, c.rows, decoded_ref.data());
  ASSERT_EQ(0, std::memcmp(decoded.data(), decoded_ref.data(), decoded.size() * 4));
  if (c.rows > 2) {  // and a row range decodes like the same rows of the whole matrix
    matrix_decode_rows(m.view, 1, c.rows - 1, decoded.data());
    ASSERT_EQ(0, std::memcmp(decoded.data(), decoded_ref.data() + c.cols, static_cast<size_t>((c.rows - 2) * c.cols) * 4));
  }
  // A row range computes the same values as the whole matrix (threads split rows).
  if (c.rows > 2) {
    std::vector<float> part(static_cast<size_t>(c.rows - 1));
    matrix_dot_rows(m.view, x.data(), 1, c.rows, part.data());
    for (int64_t r = 1; r < c.rows; ++r) ASSERT_EQ(part[r - 1], fast[r]) << "row " << r;
  }
}

TEST(MatrixKernels, EveryFormatMatchesTheScalarReferenceOnOddSizes) {
  const RowFormat all[] = {RowFormat::kF32,  RowFormat::kBF16, RowFormat::kF16,     RowFormat::kInt8,    RowFormat::kInt4,
                           RowFormat::kQ4_0, RowFormat::kQ8_0, RowFormat::kKmeans4, RowFormat::kKmeans8};
  uint32_t seed = 1;
  for (RowFormat f : all) {
    const bool ggml = f == RowFormat::kQ4_0 || f == RowFormat::kQ8_0;
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 37}, {13, 95}, {7, 3}, {5, 257}, {3, 1}}) {
      if (ggml) cols = (cols / 32 + 1) * 32 + (cols % 2 ? 32 : 0);
      check_case(Case{f, rows, cols}, seed++);
    }
  }
}

TEST(MatrixKernels, AbsmaxBlocksScalesAndKmeansGroups) {
  uint32_t seed = 100;
  for (RowFormat f : {RowFormat::kInt8, RowFormat::kInt4}) {
    for (int64_t block : {int64_t{7}, int64_t{16}, int64_t{33}, int64_t{64}}) {
      check_case(Case{f, 11, 101, block}, seed++);
      check_case(Case{f, 11, 101, block, false, true}, seed++);
    }
    check_case(Case{f, 9, 77, 0, true}, seed++);
    check_case(Case{f, 9, 77, 0, false, true}, seed++);
  }
  for (RowFormat f : {RowFormat::kKmeans4, RowFormat::kKmeans8}) {
    for (int64_t group : {int64_t{1}, int64_t{5}, int64_t{32}}) {
      check_case(Case{f, 37, 83, 0, false, false, false, group}, seed++);
      check_case(Case{f, 37, 83, 0, false, false, true, group}, seed++);
      check_case(Case{f, 37, 83, 0, false, true, true, group}, seed++);
    }
  }
}

TEST(MatrixKernels, TheVocabularyHeadShape) {
  // The 262,144-row head with short rows: every format, all rows.
  uint32_t seed = 500;
  for (RowFormat f : {RowFormat::kF32, RowFormat::kBF16, RowFormat::kF16, RowFormat::kInt8, RowFormat::kInt4,
                      RowFormat::kQ4_0, RowFormat::kQ8_0, RowFormat::kKmeans4, RowFormat::kKmeans8}) {
    check_case(Case{f, 262144, 64, 0, false, false, false, 262144}, seed++);
  }
}

TEST(MatrixKernels, DecodingEqualsTheSchemeDecodersAndMatvecUsesTheKernels) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  const int64_t rows = 19, cols = 96;
  std::vector<float> w(static_cast<size_t>(rows * cols)), x(static_cast<size_t>(cols));
  for (auto& v : w) v = normal(rng);
  for (auto& v : x) v = normal(rng) * 50.0f;
  for (Scheme s : {Scheme::kNone, Scheme::kInt8, Scheme::kInt4, Scheme::kQ4_0, Scheme::kQ8_0, Scheme::kKmeans4,
                   Scheme::kKmeans8}) {
    for (int64_t block : {int64_t{0}, int64_t{24}}) {
      QuantParams params;
      params.block_size = block;
      params.group_size = 4;
      params.per_channel_scale = block > 0;
      auto enc = quantize(s, SourceMatrix{w.data(), DTypeId::kF32, rows, cols, "w"}, params);
      ASSERT_TRUE(enc.ok()) << enc.error().to_string();
      SCOPED_TRACE(std::string(scheme_name(s)) + " block " + std::to_string(block));
      const MatrixView m = matrix_view(*enc);
      std::vector<float> a(w.size()), b(w.size());
      dequantize_rows(*enc, 0, rows, a.data());
      matrix_decode_rows(m, 0, rows, b.data());
      ASSERT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4));
      std::vector<float> y(static_cast<size_t>(rows)), z(y.size());
      matvec(*enc, x.data(), y.data());
      matrix_dot_rows(m, x.data(), 0, rows, z.data());
      ASSERT_EQ(0, std::memcmp(y.data(), z.data(), y.size() * 4));
      EXPECT_EQ(m.bytes(), enc->encoded_bytes());
    }
  }
}

TEST(MatrixKernels, FloatViewsRejectNonFloatDtypes) {
  const int32_t ids[4] = {1, 2, 3, 4};
  auto bad = float_matrix_view(ids, DTypeId::kI32, 2, 2);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kUnsupported);
  auto good = float_matrix_view(ids, DTypeId::kBF16, 2, 4);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->row_stride, 8);
  EXPECT_EQ(good->bytes(), 16u);
}

// Weight bytes per token of an expert bank (runtime/graph_interpreter_moe.cpp): the rows of one expert are
// counted exactly, a per-tensor scale once, a LUT once per group the rows touch.
TEST(MatrixKernels, BytesOfRowsCountsOneExpertExactly) {
  MatrixView q4;
  q4.format = RowFormat::kQ4_0;
  q4.rows = 8 * 6;  // 8 experts of 6 rows
  q4.cols = 64;
  q4.row_stride = 2 * 18;
  EXPECT_EQ(q4.bytes_of_rows(6, 12), 6u * 36u);
  EXPECT_EQ(q4.bytes(), 48u * 36u);
  MatrixView int8 = q4;
  int8.format = RowFormat::kInt8;
  int8.row_stride = 64;
  int8.scale_block = 32;  // two f16 scales a row
  EXPECT_EQ(int8.bytes_of_rows(12, 18), 6u * 64u + 6u * 2u * 2u);
  int8.per_tensor_scale = true;
  int8.f32_scales = true;
  EXPECT_EQ(int8.bytes_of_rows(12, 18), 6u * 64u + 4u);  // the one scale, not a share of it
  uint64_t sum = 0;
  for (int e = 0; e < 8; ++e) sum += int8.bytes_of_rows(e * 6, e * 6 + 6);
  EXPECT_EQ(sum, int8.bytes() + 7u * 4u);  // each expert's product reads the shared scale
  MatrixView km = q4;
  km.format = RowFormat::kKmeans4;
  km.row_stride = 32;
  km.group_size = 6;  // one LUT per expert: groups never cross an expert boundary
  km.row_scales = true;
  EXPECT_EQ(km.bytes_of_rows(6, 12), 6u * 32u + 16u * 4u + 6u * 2u);
  EXPECT_EQ(km.bytes_of_rows(3, 9), 6u * 32u + 2u * 16u * 4u + 6u * 2u);  // rows of two groups: both LUTs
  EXPECT_EQ(km.bytes_of_rows(5, 5), 0u);
}

}  // namespace
}  // namespace hfb
