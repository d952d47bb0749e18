// The rule "a quantizer never turns non-finite values into finite ones": with allow_nonfinite, a tensor holding
// NaN/Inf is kept float by every scheme, its coverage reason counting them; without it the tensor is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "core/byte_source.h"
#include "quant/coverage.h"
#include "quant/nonfinite_rule.h"
#include "tests/quant/quant_test_util.h"

namespace hfb {
namespace {

constexpr Scheme kQuantizing[] = {Scheme::kInt8, Scheme::kInt4, Scheme::kQ4_0, Scheme::kQ8_0, Scheme::kKmeans4,
                                  Scheme::kKmeans8};

/// A [64, 64] F32 linear "w" (with `specials` NaN/Inf values when asked) and a clean one "v".
TensorTable table_with(int specials) {
  std::vector<uint8_t> bytes;
  TensorTable table;
  for (const char* name : {"w", "v"}) {
    TensorInfo info = test::policy_tensor(name, {64, 64}, Role::kMlpUp, Tower::kText);
    info.offset = bytes.size();
    for (int i = 0; i < 64 * 64; ++i) {
      float v = static_cast<float>(std::sin(i * 0.37)) * 0.05f;
      if (std::string(name) == "w" && i % 997 == 5 && i / 997 < specials) {
        v = i % 2 ? std::numeric_limits<float>::quiet_NaN() : -std::numeric_limits<float>::infinity();
      }
      uint8_t raw[4];
      std::memcpy(raw, &v, 4);
      bytes.insert(bytes.end(), raw, raw + 4);
    }
    table.add(std::move(info));
  }
  auto source = std::make_shared<MemorySource>(std::move(bytes));
  for (TensorInfo& info : table.tensors_mutable()) info.source = source;
  return table;
}

TEST(NonfiniteRule, EverySchemeKeepsATensorWithNanOrInfFloatAndSaysHowMany) {
  const TensorTable table = table_with(3);
  for (Scheme scheme : kQuantizing) {
    QuantPolicyOptions options;
    options.global = scheme;
    options.params.allow_nonfinite = true;
    auto result = quantize_table(test::make_policy(options), table);
    ASSERT_TRUE(result.ok()) << scheme_name(scheme) << ": " << result.error().to_string();
    const CoverageEntry& w = result->coverage.entries[0];
    EXPECT_EQ(w.scheme, Scheme::kNone) << scheme_name(scheme);
    EXPECT_EQ(w.bytes_after, w.bytes_before);
    EXPECT_EQ(w.reason.rfind("kept float: 3 non-finite values", 0), 0u) << w.reason;
    EXPECT_EQ(result->encoded.count("w"), 0u) << "read as stored, so the runtime's non-finite check names it";
    EXPECT_EQ(result->coverage.entries[1].scheme, scheme) << "a clean tensor is quantized as asked";
    // Without the flag the same tensor is refused, naming it.
    options.params.allow_nonfinite = false;
    auto refused = quantize_table(test::make_policy(options), table);
    ASSERT_FALSE(refused.ok()) << scheme_name(scheme);
    EXPECT_EQ(refused.error().tensor, "w");
  }
}

TEST(NonfiniteRule, DecisionsWithoutTheFlagOrWithoutNonfiniteValuesAreUnchanged) {
  const TensorTable clean = table_with(0);
  TensorDecision d;
  d.scheme = Scheme::kQ8_0;
  d.reason = "--quant q8_0";
  d.params.allow_nonfinite = true;
  auto same = keep_nonfinite_float(clean.tensors()[0], d);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->scheme, Scheme::kQ8_0);
  EXPECT_EQ(same->reason, "--quant q8_0");
  const TensorTable dirty = table_with(1);
  auto kept = keep_nonfinite_float(dirty.tensors()[0], d);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->scheme, Scheme::kNone);
  EXPECT_EQ(kept->reason.rfind("kept float: 1 non-finite value ", 0), 0u) << kept->reason;
  d.params.allow_nonfinite = false;  // the quantizer refuses it then
  EXPECT_EQ(keep_nonfinite_float(dirty.tensors()[0], d)->scheme, Scheme::kQ8_0);
}

TEST(NonfiniteRule, CountsEachFloatDtype) {
  const uint16_t bf16[] = {0x3F80, 0x7F80, 0xFFC0, 0x0000};  // 1, +inf, NaN, 0
  const uint16_t f16[] = {0x3C00, 0x7C00, 0xFE00};            // 1, +inf, NaN
  const float f[] = {1.0f, std::numeric_limits<float>::infinity(), 3.0f};
  EXPECT_EQ(count_nonfinite(bf16, DTypeId::kBF16, 4), 2);
  EXPECT_EQ(count_nonfinite(f16, DTypeId::kF16, 3), 2);
  EXPECT_EQ(count_nonfinite(f, DTypeId::kF32, 3), 1);
}

}  // namespace
}  // namespace hfb
