// GGUF v3 constants and small helpers shared by the reader and the writer: value type names and sizes, the ggml
// type traits hfbundle knows, metadata value constructors and accessors, tensor byte sizes and padding.
#include "formats/gguf_format.h"

#include <array>
#include <cstring>

#include "core/checked_math.h"

namespace hfb::gguf {
namespace {

struct ValueTypeRow {
  const char* name;
  uint32_t size;
};
constexpr std::array<ValueTypeRow, 13> kValueTypes = {{
    {"UINT8", 1}, {"INT8", 1}, {"UINT16", 2}, {"INT16", 2}, {"UINT32", 4}, {"INT32", 4}, {"FLOAT32", 4},
    {"BOOL", 1}, {"STRING", 0}, {"ARRAY", 0}, {"UINT64", 8}, {"INT64", 8}, {"FLOAT64", 8},
}};

const ValueTypeRow* value_type_row(ValueType type) {
  const auto i = static_cast<int32_t>(type);
  if (i < 0 || i >= static_cast<int32_t>(kValueTypes.size())) return nullptr;
  return &kValueTypes[static_cast<size_t>(i)];
}

struct GgmlTypeRow {
  int32_t id;
  GgmlTypeTraits traits;
};
constexpr std::array<GgmlTypeRow, 5> kGgmlTypes = {{
    {0, {"F32", 1, 4, DTypeId::kF32}},
    {1, {"F16", 1, 2, DTypeId::kF16}},
    {2, {"Q4_0", 32, 18, DTypeId::kQ4_0}},
    {8, {"Q8_0", 32, 34, DTypeId::kQ8_0}},
    {30, {"BF16", 1, 2, DTypeId::kBF16}},
}};

template <typename T>
Value scalar(ValueType type, T v) {
  Value out;
  out.type = type;
  out.bytes.resize(sizeof(T));
  std::memcpy(out.bytes.data(), &v, sizeof(T));
  return out;
}

template <typename T>
Value numeric_array(ValueType element_type, const std::vector<T>& v) {
  Value out;
  out.type = ValueType::kArray;
  out.element_type = element_type;
  out.bytes.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(out.bytes.data(), v.data(), out.bytes.size());
  return out;
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

const char* value_type_name(ValueType type) {
  const auto* row = value_type_row(type);
  return row == nullptr ? "?" : row->name;
}

uint32_t value_type_size(ValueType type) {
  const auto* row = value_type_row(type);
  return row == nullptr ? 0 : row->size;
}

const GgmlTypeTraits* ggml_type_traits(int32_t type) {
  for (const auto& row : kGgmlTypes) {
    if (row.id == type) return &row.traits;
  }
  return nullptr;
}

std::optional<GgmlType> ggml_type_for(DTypeId dtype) {
  for (const auto& row : kGgmlTypes) {
    if (row.traits.dtype == dtype) return static_cast<GgmlType>(row.id);
  }
  return std::nullopt;
}

Value Value::u32(uint32_t v) { return scalar(ValueType::kUint32, v); }
Value Value::i32(int32_t v) { return scalar(ValueType::kInt32, v); }
Value Value::u64(uint64_t v) { return scalar(ValueType::kUint64, v); }
Value Value::f32(float v) { return scalar(ValueType::kFloat32, v); }
Value Value::boolean(bool v) { return scalar(ValueType::kBool, static_cast<uint8_t>(v ? 1 : 0)); }
Value Value::str(std::string v) {
  Value out;
  out.type = ValueType::kString;
  out.strings.push_back(std::move(v));
  return out;
}
Value Value::u32_array(const std::vector<uint32_t>& v) { return numeric_array(ValueType::kUint32, v); }
Value Value::i32_array(const std::vector<int32_t>& v) { return numeric_array(ValueType::kInt32, v); }
Value Value::f32_array(const std::vector<float>& v) { return numeric_array(ValueType::kFloat32, v); }
Value Value::bool_array(const std::vector<bool>& v) {
  std::vector<uint8_t> bytes;
  bytes.reserve(v.size());
  for (bool b : v) bytes.push_back(b ? 1 : 0);
  return numeric_array(ValueType::kBool, bytes);
}
Value Value::str_array(std::vector<std::string> v) {
  Value out;
  out.type = ValueType::kArray;
  out.element_type = ValueType::kString;
  out.strings = std::move(v);
  return out;
}

uint64_t Value::count() const {
  if (type != ValueType::kArray) return 1;
  if (element_type == ValueType::kString) return strings.size();
  const uint32_t size = value_type_size(element_type);
  return size == 0 ? 0 : bytes.size() / size;
}

std::optional<int64_t> Value::int_at(uint64_t i) const {
  const ValueType t = type == ValueType::kArray ? element_type : type;
  const uint32_t size = value_type_size(t);
  if (size == 0 || i >= count() || (i + 1) * size > bytes.size()) return std::nullopt;
  const uint8_t* p = bytes.data() + i * size;
  switch (t) {
    case ValueType::kUint8: return load<uint8_t>(p);
    case ValueType::kInt8: return load<int8_t>(p);
    case ValueType::kUint16: return load<uint16_t>(p);
    case ValueType::kInt16: return load<int16_t>(p);
    case ValueType::kUint32: return load<uint32_t>(p);
    case ValueType::kInt32: return load<int32_t>(p);
    case ValueType::kBool: return load<uint8_t>(p) != 0 ? 1 : 0;
    case ValueType::kInt64: return load<int64_t>(p);
    case ValueType::kUint64: {
      const auto v = load<uint64_t>(p);
      if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
      return static_cast<int64_t>(v);
    }
    default: return std::nullopt;
  }
}

std::optional<double> Value::float_at(uint64_t i) const {
  const ValueType t = type == ValueType::kArray ? element_type : type;
  const uint32_t size = value_type_size(t);
  if (size == 0 || i >= count() || (i + 1) * size > bytes.size()) return std::nullopt;
  if (t == ValueType::kFloat32) return load<float>(bytes.data() + i * size);
  if (t == ValueType::kFloat64) return load<double>(bytes.data() + i * size);
  return std::nullopt;
}

const std::string* Value::string_at(uint64_t i) const {
  const bool is_string = type == ValueType::kString || (type == ValueType::kArray && element_type == ValueType::kString);
  if (!is_string || i >= strings.size()) return nullptr;
  return &strings[i];
}

std::string Value::type_name() const {
  if (type == ValueType::kArray) return std::string("[") + value_type_name(element_type) + "]";
  return value_type_name(type);
}

const Value* find_value(const Metadata& metadata, std::string_view key) {
  for (const auto& [k, v] : metadata) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::optional<uint64_t> ggml_tensor_bytes(GgmlType type, const std::vector<int64_t>& ne) {
  const auto* traits = ggml_type_traits(static_cast<int32_t>(type));
  if (traits == nullptr || ne.empty()) return std::nullopt;
  uint64_t elements = 1;
  for (int64_t d : ne) {
    if (d < 0) return std::nullopt;
    auto next = checked_mul(elements, static_cast<uint64_t>(d));
    if (!next) return std::nullopt;
    elements = *next;
  }
  if (static_cast<uint64_t>(ne[0]) % traits->block_size != 0) return std::nullopt;
  return checked_mul(elements / traits->block_size, traits->block_bytes);
}

std::optional<uint64_t> gguf_pad(uint64_t value, uint64_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) return std::nullopt;
  return checked_align_up(value, alignment);
}

}  // namespace hfb::gguf
