// The dtype traits table and the half/bfloat16 conversions.
#include "core/dtype.h"

#include <array>
#include <cstring>

#include "core/checked_math.h"

namespace hfb {
namespace {

constexpr std::array<DTypeTraits, static_cast<size_t>(DTypeId::kCount)> kTraits = {{
    {"F32", 1, 4, false, true},
    {"F16", 1, 2, false, true},
    {"BF16", 1, 2, false, true},
    {"F64", 1, 8, false, true},
    {"I64", 1, 8, false, false},
    {"I32", 1, 4, false, false},
    {"I16", 1, 2, false, false},
    {"I8", 1, 1, false, false},
    {"U8", 1, 1, false, false},
    {"BOOL", 1, 1, false, false},
    {"Q4_0", 32, 18, true, false},
    {"Q8_0", 32, 34, true, false},
}};

}  // namespace

const DTypeTraits& DType::traits() const { return kTraits[static_cast<size_t>(id_)]; }

std::optional<uint64_t> DType::bytes_for(uint64_t num_elements) const {
  const auto& t = traits();
  if (num_elements % t.block_size != 0) return std::nullopt;
  return checked_mul(num_elements / t.block_size, t.block_bytes);
}

std::optional<DType> DType::from_name(std::string_view name) {
  for (size_t i = 0; i < kTraits.size(); ++i) {
    if (kTraits[i].name == name) return DType(static_cast<DTypeId>(i));
  }
  return std::nullopt;
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while ((mant & 0x400u) == 0) {
        mant <<= 1;
        --exp;
      }
      mant &= 0x3FFu;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_f16(float f) {
  // Same algorithm as ggml_compute_fp32_to_fp16 (round to nearest even, via float scaling).
  uint32_t w;
  std::memcpy(&w, &f, 4);
  const float scale_to_inf = 0x1.0p+112f;
  const float scale_to_zero = 0x1.0p-110f;
  float abs_f;
  const uint32_t abs_w = w & 0x7FFFFFFFu;
  std::memcpy(&abs_f, &abs_w, 4);
  float base = (abs_f * scale_to_inf) * scale_to_zero;
  const uint32_t shl1_w = w + w;
  const uint32_t sign = w & 0x80000000u;
  uint32_t bias = shl1_w & 0xFF000000u;
  if (bias < 0x71000000u) bias = 0x71000000u;
  const uint32_t bias_bits = (bias >> 1) + 0x07800000u;
  float bias_f;
  std::memcpy(&bias_f, &bias_bits, 4);
  base = bias_f + base;
  uint32_t bits;
  std::memcpy(&bits, &base, 4);
  const uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
  const uint32_t mantissa_bits = bits & 0x00000FFFu;
  const uint32_t nonsign = exp_bits + mantissa_bits;
  return static_cast<uint16_t>((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

float bf16_to_f32(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);  // quiet NaN
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

}  // namespace hfb
