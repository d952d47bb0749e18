// GGUF v3 container constants both sides share (ggml/include/gguf.h, ggml/src/gguf.cpp): metadata value types, the
// ggml tensor types hfbundle reads or writes, alignment and name rules. Layout, field by field: docs/formats/gguf.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"

namespace hfb::gguf {

// File layout (little-endian):
//   u32 magic "GGUF" | u32 version (3) | i64 n_tensors | i64 n_kv
//   n_kv x { string key | i32 value_type | value }      (array: i32 element_type, u64 n, n elements)
//   n_tensors x { string name | u32 n_dims | i64 ne[n_dims] (ggml order: ne[0] contiguous) | i32 ggml_type | u64 offset }
//   zero padding to `alignment` | data section: tensors in info order, offset[i] = sum_{j<i} PAD(nbytes_j, alignment)
// string = u64 length + bytes (no NUL); bool = 1 byte; enums are i32.
inline constexpr uint32_t kMagic = 0x46554747;  ///< "GGUF" read as a little-endian u32
inline constexpr uint32_t kVersion = 3;
inline constexpr uint32_t kDefaultAlignment = 32;  ///< also the least llama.cpp's CPU backend accepts
inline constexpr size_t kMaxNameBytes = 63;        ///< GGML_MAX_NAME 64 includes the NUL
inline constexpr uint32_t kMaxDims = 4;
inline constexpr const char* kAlignmentKey = "general.alignment";

enum class ValueType : int32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6, kBool = 7,
  kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};
/// "UINT32", "ARRAY", ...; "?" for a value outside the enum.
const char* value_type_name(ValueType type);
/// Bytes of one element of a fixed-size type; 0 for kString / kArray / unknown.
uint32_t value_type_size(ValueType type);

/// The ggml tensor types hfbundle knows (ggml.h `enum ggml_type` values). Others are refused by name.
enum class GgmlType : int32_t { kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ8_0 = 8, kBF16 = 30 };

struct GgmlTypeTraits {
  const char* name;      ///< ggml's spelling: "F32", "Q4_0", ...
  uint32_t block_size;   ///< elements per block
  uint32_t block_bytes;  ///< bytes per block
  DTypeId dtype;         ///< hfbundle's element type with the same bytes
};
/// Traits of a known type; nullptr for any other value (the caller names the value in its error).
const GgmlTypeTraits* ggml_type_traits(int32_t type);
/// The ggml type whose bytes equal `dtype`'s, if there is one (F32, F16, BF16, Q4_0, Q8_0).
std::optional<GgmlType> ggml_type_for(DTypeId dtype);

/// One metadata value: a scalar, a string, or an array of one element type (never an array of arrays).
/// Numbers are kept as their little-endian bytes so a read-then-write round trip is byte-identical.
struct Value {
  ValueType type = ValueType::kUint32;
  ValueType element_type = ValueType::kUint8;  ///< arrays only
  std::vector<uint8_t> bytes;                  ///< scalar or numeric array elements, value_type_size each
  std::vector<std::string> strings;            ///< kString: one; array of kString: every element

  static Value u32(uint32_t v);
  static Value i32(int32_t v);
  static Value u64(uint64_t v);
  static Value f32(float v);
  static Value boolean(bool v);
  static Value str(std::string v);
  static Value u32_array(const std::vector<uint32_t>& v);
  static Value i32_array(const std::vector<int32_t>& v);
  static Value f32_array(const std::vector<float>& v);
  static Value bool_array(const std::vector<bool>& v);
  static Value str_array(std::vector<std::string> v);

  /// Element count of an array (1 for a scalar or string).
  uint64_t count() const;
  /// Scalar (index 0) or array element `i` of any integer or bool type as int64 (u64 above INT64_MAX: nullopt);
  /// nullopt for floats, strings, or i out of range.
  std::optional<int64_t> int_at(uint64_t i = 0) const;
  /// Element `i` of a FLOAT32 / FLOAT64 scalar or array; nullopt otherwise.
  std::optional<double> float_at(uint64_t i = 0) const;
  /// The string of a kString scalar, or element `i` of a string array; nullptr otherwise.
  const std::string* string_at(uint64_t i = 0) const;
  /// Type as gguf-dump prints it: "UINT32", "[FLOAT32]".
  std::string type_name() const;
};

using Metadata = std::vector<std::pair<std::string, Value>>;  ///< in file order; keys unique
/// The value of `key`, nullptr when absent.
const Value* find_value(const Metadata& metadata, std::string_view key);

/// Bytes of a tensor of `type` with ggml dims `ne`; nullopt on overflow or when ne[0] is not a multiple of the block.
std::optional<uint64_t> ggml_tensor_bytes(GgmlType type, const std::vector<int64_t>& ne);
/// `value` rounded up to `alignment` (a power of two); nullopt on overflow.
std::optional<uint64_t> gguf_pad(uint64_t value, uint64_t alignment);

}  // namespace hfb::gguf
