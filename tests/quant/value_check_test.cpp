// Every scheme refuses NaN/Inf naming tensor, row and column, and q4_0/q8_0 refuse blocks whose f16 scale
// overflows, unless allow_nonfinite (F1); user regexes that backtrack exponentially are refused (F16).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <regex>
#include <vector>

#include "quant/regex_guard.h"
#include "quant/scheme.h"

namespace hfb {
namespace {

constexpr Scheme kAll[] = {Scheme::kNone, Scheme::kInt8, Scheme::kInt4, Scheme::kQ4_0,
                           Scheme::kQ8_0, Scheme::kKmeans4, Scheme::kKmeans8};

SourceMatrix f32(const std::vector<float>& x, int64_t rows, int64_t cols) {
  return SourceMatrix{x.data(), DTypeId::kF32, rows, cols, "mlp.gate_proj.weight"};
}

std::vector<float> ramp(int64_t n) {
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = 0.01f * static_cast<float>((i * 37) % 23 - 11);
  return x;
}

TEST(ValueCheck, EverySchemeRefusesNanAndInfNamingRowAndColumn) {
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity()};
  for (float special : specials) {
    std::vector<float> x = ramp(8 * 64);
    x[5 * 64 + 7] = special;
    for (Scheme scheme : kAll) {
      auto enc = quantize(scheme, f32(x, 8, 64), QuantParams{});
      ASSERT_FALSE(enc.ok()) << scheme_name(scheme) << " " << special;
      EXPECT_EQ(enc.error().code, ErrorCode::kInvalidArgument);
      EXPECT_EQ(enc.error().tensor, "mlp.gate_proj.weight");
      EXPECT_NE(enc.error().message.find("row 5, column 7"), std::string::npos) << enc.error().message;
      auto ref = quantize_reference(scheme, f32(x, 8, 64), QuantParams{});
      EXPECT_FALSE(ref.ok()) << scheme_name(scheme);
    }
  }
}

// A quantizer never turns non-finite values into finite ones: with allow_nonfinite only `none` takes them
// (stored as they are; convert/requant/export keep such a tensor float, quant/nonfinite_rule.h).
TEST(ValueCheck, AllowNonfiniteStoresThemOnlyAsFloat) {
  for (float special : {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    std::vector<float> x = ramp(4 * 64);
    x[2 * 64 + 3] = special;
    QuantParams allow;
    allow.allow_nonfinite = true;
    EXPECT_TRUE(quantize(Scheme::kNone, f32(x, 4, 64), allow).ok());
    for (Scheme scheme : kAll) {
      if (scheme == Scheme::kNone) continue;
      auto enc = quantize(scheme, f32(x, 4, 64), allow);
      ASSERT_FALSE(enc.ok()) << scheme_name(scheme) << " " << special;
      EXPECT_NE(enc.error().message.find("row 2, column 3"), std::string::npos) << enc.error().message;
      EXPECT_NE(enc.error().message.find("never turns non-finite"), std::string::npos) << enc.error().message;
      EXPECT_FALSE(quantize_reference(scheme, f32(x, 4, 64), allow).ok()) << scheme_name(scheme);
    }
  }
}

TEST(ValueCheck, Q4_0AndQ8_0RefuseF16ScaleOverflowAtTheBoundary) {
  // q4_0: |d| = amax / 8; f16 max 65504, rounds to inf from 65520: amax 524032 fits, 524288 does not.
  std::vector<float> x = ramp(2 * 64);
  x[64 + 40] = -524032.0f;
  EXPECT_TRUE(quantize(Scheme::kQ4_0, f32(x, 2, 64), QuantParams{}).ok());
  x[64 + 40] = 1e6f;
  auto q4 = quantize(Scheme::kQ4_0, f32(x, 2, 64), QuantParams{});
  ASSERT_FALSE(q4.ok());
  EXPECT_NE(q4.error().message.find("row 1, column 32"), std::string::npos) << q4.error().message;  // its block
  EXPECT_NE(q4.error().message.find("f16"), std::string::npos);
  EXPECT_TRUE(quantize(Scheme::kQ8_0, f32(x, 2, 64), QuantParams{}).ok()) << "1e6 / 127 fits f16";
  x[64 + 40] = 3.3e38f;
  EXPECT_FALSE(quantize(Scheme::kQ8_0, f32(x, 2, 64), QuantParams{}).ok());
  QuantParams allow;
  allow.allow_nonfinite = true;
  EXPECT_TRUE(quantize(Scheme::kQ8_0, f32(x, 2, 64), allow).ok());
  EXPECT_TRUE(quantize(Scheme::kKmeans8, f32(x, 2, 64), QuantParams{}).ok()) << "kmeans has f32 LUTs";
}

TEST(ValueCheck, RowsOfAStreamedBlockCountFromTheTensor) {
  std::vector<float> x = ramp(4 * 32);
  x[3 * 32 + 1] = std::numeric_limits<float>::quiet_NaN();
  SourceMatrix src = f32(x, 4, 32);
  src.first_row = 100;
  Status s = check_source_values(Scheme::kQ8_0, src, QuantParams{});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("row 103, column 1"), std::string::npos) << s.error().message;
}

TEST(ValueCheck, FirstNonfiniteReadsEachFloatDtype) {
  const uint16_t bf16[] = {0x3F80, 0x7F80, 0x0000};   // 1, +inf
  const uint16_t f16[] = {0x3C00, 0x3C00, 0xFE00};    // 1, 1, NaN
  const float f[] = {1.0f, 2.0f, 3.0f};
  EXPECT_EQ(first_nonfinite(bf16, DTypeId::kBF16, 3), 1);
  EXPECT_EQ(first_nonfinite(f16, DTypeId::kF16, 3), 2);
  EXPECT_EQ(first_nonfinite(f, DTypeId::kF32, 3), -1);
}

TEST(RegexGuard, RefusesShapesThatBacktrackExponentially) {
  for (const char* bad : {"^(([a-z.0-9_])+)+X$", "(a+)+", "(a*)*b", "(.*a){20}", "(a|aa)+", "(x+x+)+y", "(a)\\1",
                          "a{5000}", "((ab)*c)+", "a*a*a*a*b"}) {
    Status s = check_regex_bounded(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(s.error().message.find("refused"), std::string::npos);
  }
  for (const char* good : {".*mlp\\.up_proj.*", "model\\.layers\\.(0|1)\\..*", "(q|k)_proj", "[a-z]+(_proj)?",
                           "layers\\.[0-9]+\\.self_attn\\..*", "(\\.weight)$", "a{2,8}", "[(]+", "\\(a+\\)+"}) {
    EXPECT_TRUE(check_regex_bounded(good).ok()) << good;
  }
  EXPECT_FALSE(check_regex_bounded(std::string(kMaxRegexBytes + 1, 'a')).ok());
}

TEST(RegexGuard, AcceptedPatternsMatchFastOnLongNames) {
  const std::string name(200, 'a');
  for (const char* good : {".*mlp\\.up_proj.*", "[a-z.0-9_]+X", "a*a*a*b"}) {
    ASSERT_TRUE(check_regex_bounded(good).ok()) << good;
    const auto start = std::chrono::steady_clock::now();
    (void)std::regex_match(name, std::regex(good));
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1.0) << good;
  }
}

}  // namespace
}  // namespace hfb
