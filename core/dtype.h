// DType: a small value type over one traits table (after ggml type_traits[] and MLX Dtype).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hfb {

/// Every element type hfbundle knows, plain or block-quantized. Add a type by adding a row to the
/// traits table in dtype.cpp (and, for a quantized one, a scheme under quant/).
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
  kQ4_0,  ///< ggml q4_0: 32 elements -> fp16 d + 16 bytes of nibbles (18 bytes)
  kQ8_0,  ///< ggml q8_0: 32 elements -> fp16 d + 32 int8 (34 bytes)
  kCount,
};

struct DTypeTraits {
  std::string_view name;   ///< as safetensors spells it ("BF16"), or our name for quantized types
  uint32_t block_size;     ///< elements per block (1 for plain types)
  uint32_t block_bytes;    ///< bytes per block
  bool is_quantized;
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
  bool is_quantized() const { return traits().is_quantized; }
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
