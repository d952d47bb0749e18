// DType traits, half conversions, Shape arithmetic and Error rendering.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"

namespace hfb {
namespace {

TEST(DType, NamesRoundTripAndSizes) {
  for (int i = 0; i < static_cast<int>(DTypeId::kCount); ++i) {
    DType d(static_cast<DTypeId>(i));
    auto back = DType::from_name(d.name());
    ASSERT_TRUE(back.has_value()) << d.name();
    EXPECT_EQ(*back, d);
  }
  EXPECT_EQ(DType(DTypeId::kBF16).bytes_for(3), 6u);
  EXPECT_EQ(DType(DTypeId::kQ4_0).bytes_for(64), 36u);
  EXPECT_FALSE(DType(DTypeId::kQ4_0).bytes_for(33).has_value());
  EXPECT_FALSE(DType::from_name("F8_E4M3").has_value());
}

TEST(DType, HalfConversionsRoundToNearestEven) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);  // rounds to inf
  EXPECT_EQ(f32_to_f16(1.0f + 0x1.0p-11f), 0x3C00);  // tie -> even
  EXPECT_EQ(f32_to_f16(1.0f + 3 * 0x1.0p-11f), 0x3C02);
  EXPECT_EQ(f16_to_f32(0x0001), 0x1.0p-24f);  // smallest subnormal
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(std::numeric_limits<float>::quiet_NaN()))));
  for (uint32_t h = 0; h < 0x7C00; ++h) EXPECT_EQ(f32_to_f16(f16_to_f32(h)), h);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
  EXPECT_EQ(f32_to_bf16(bf16_to_f32(0x4049)), 0x4049);
}

TEST(Shape, CheckedCounts) {
  EXPECT_EQ(Shape({}).num_elements(), 1u);
  EXPECT_EQ(Shape({2, 3}).num_bytes(DTypeId::kF32), 24u);
  EXPECT_FALSE(Shape({-1, 3}).num_elements().has_value());
  EXPECT_FALSE(Shape({1LL << 40, 1LL << 40}).num_elements().has_value());
  EXPECT_EQ(Shape({64, 512}).to_string(), "[64, 512]");
}

Result<int> parse_positive(int v) {
  if (v <= 0) return Error(ErrorCode::kInvalidArgument, "expected a positive value");
  return v;
}

Status use_try(int v, int* out) {
  HFB_TRY(int x, parse_positive(v));
  *out = x * 2;
  return ok_status();
}

TEST(Error, TryPropagatesAndRenders) {
  int out = 0;
  EXPECT_TRUE(use_try(3, &out).ok());
  EXPECT_EQ(out, 6);
  Status s = use_try(-1, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  Error e = Error(ErrorCode::kInvalidFile, "data span 12 bytes, expected 16")
                .with_path("shard-2.safetensors")
                .with_offset(0x1F8)
                .with_tensor("h.3.attn.w")
                .with_context("while reading the index");
  EXPECT_EQ(e.to_string(),
            "shard-2.safetensors@0x1F8: tensor 'h.3.attn.w': data span 12 bytes, expected 16 "
            "(while reading the index)");
}

}  // namespace
}  // namespace hfb
