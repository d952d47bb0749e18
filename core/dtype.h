// DType: a small value type over one traits table (after ggml type_traits[] and MLX Dtype).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hfb {

/// Every plain element type hfbundle knows (safetensors spellings). Add a type by adding a row to the traits
/// table in dtype.cpp. Quantized formats are not dtypes: they are schemes (quant/scheme.h), one row each in
/// the scheme traits table (quant/scheme_traits.h), q4_0 and q8_0 included.
enum class DTypeId : uint8_t {
  kF32,
  kF16,
  kBF16,
  kF64,
  kI64,
  kI32,
  kI16,
  kI8,
  kU8,
  kBool,
  kCount,
};

struct DTypeTraits {
  std::string_view name;   ///< as safetensors spells it ("BF16")
  uint32_t block_size;     ///< elements per block (1: every dtype is plain)
  uint32_t block_bytes;    ///< bytes per block (= per element)
  bool is_float;
};

class DType {
 public:
  constexpr DType() : id_(DTypeId::kF32) {}
  constexpr DType(DTypeId id) : id_(id) {}  // NOLINT(google-explicit-constructor)

  constexpr DTypeId id() const { return id_; }
  const DTypeTraits& traits() const;
  std::string_view name() const { return traits().name; }
  uint32_t block_size() const { return traits().block_size; }
  uint32_t block_bytes() const { return traits().block_bytes; }
  bool is_float() const { return traits().is_float; }

  /// Bytes for `num_elements` elements; nullopt on overflow or if not a whole number of blocks.
  std::optional<uint64_t> bytes_for(uint64_t num_elements) const;

  /// Parse a name as spelled in safetensors headers ("F32", "BF16", "I64", "BOOL", ...).
  static std::optional<DType> from_name(std::string_view name);

  friend constexpr bool operator==(DType a, DType b) { return a.id_ == b.id_; }
  friend constexpr bool operator!=(DType a, DType b) { return a.id_ != b.id_; }

 private:
  DTypeId id_;
};

/// IEEE half / bfloat16 conversions used everywhere (round-to-nearest-even on narrowing).
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
float bf16_to_f32(uint16_t b);
uint16_t f32_to_bf16(float f);

}  // namespace hfb
