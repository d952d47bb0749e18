// GgufLayout: validation of what a GGUF writer is asked to write and the little-endian encoding of its header.
#include "writers/gguf_layout.h"

#include <cstring>

#include "core/checked_math.h"

namespace hfb::gguf_layout {
namespace {

using gguf::Value;
using gguf::ValueType;

Error argument_error(std::string message) { return Error(ErrorCode::kInvalidArgument, "gguf: " + std::move(message)); }

template <typename T>
void put(std::vector<uint8_t>* out, T v) {
  const size_t at = out->size();
  out->resize(at + sizeof(T));
  std::memcpy(out->data() + at, &v, sizeof(T));
}

void put_string(std::vector<uint8_t>* out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out->insert(out->end(), s.begin(), s.end());
}

bool is_known_type(ValueType type) { return static_cast<int32_t>(type) >= 0 && static_cast<int32_t>(type) <= 12; }

/// The value is self-consistent: a known type, byte count matching the type, strings where strings belong.
Status check_value(const std::string& key, const Value& value) {
  const std::string where = "key '" + key + "' (" + value.type_name() + "): ";
  if (!is_known_type(value.type)) return argument_error(where + "unknown value type");
  if (value.type == ValueType::kString) {
    if (value.strings.size() != 1) return argument_error(where + "a string value holds exactly one string");
    return ok_status();
  }
  if (value.type != ValueType::kArray) {
    if (value.bytes.size() != gguf::value_type_size(value.type)) {
      return argument_error(where + std::to_string(value.bytes.size()) + " value bytes, expected " +
                            std::to_string(gguf::value_type_size(value.type)));
    }
    return ok_status();
  }
  if (value.element_type == ValueType::kArray) return argument_error(where + "arrays of arrays are not written");
  if (!is_known_type(value.element_type)) return argument_error(where + "unknown array element type");
  if (value.element_type == ValueType::kString) {
    if (value.strings.empty()) return argument_error(where + "empty array (gguf-py refuses them too)");
    return ok_status();
  }
  const uint32_t size = gguf::value_type_size(value.element_type);
  if (value.bytes.empty()) return argument_error(where + "empty array (gguf-py refuses them too)");
  if (value.bytes.size() % size != 0) {
    return argument_error(where + std::to_string(value.bytes.size()) + " bytes is not a whole number of elements");
  }
  return ok_status();
}

void put_value(std::vector<uint8_t>* out, const Value& value) {
  put<int32_t>(out, static_cast<int32_t>(value.type));
  if (value.type == ValueType::kString) {
    put_string(out, value.strings[0]);
    return;
  }
  if (value.type == ValueType::kArray) {
    put<int32_t>(out, static_cast<int32_t>(value.element_type));
    put<uint64_t>(out, value.count());
    if (value.element_type == ValueType::kString) {
      for (const auto& s : value.strings) put_string(out, s);
      return;
    }
  }
  out->insert(out->end(), value.bytes.begin(), value.bytes.end());
}

}  // namespace

Status GgufLayout::check_alignment(uint32_t alignment) {
  if (alignment < gguf::kDefaultAlignment || (alignment & (alignment - 1)) != 0) {
    return argument_error("alignment " + std::to_string(alignment) +
                          " is not a power of two >= 32 (llama.cpp's CPU backend needs 32-byte aligned tensors)");
  }
  return ok_status();
}

Status GgufLayout::add_metadata(std::string key, Value value) {
  if (keys_.count(key) != 0) return argument_error("duplicate key '" + key + "'");
  HFB_TRY(check_value(key, value));
  if (key == gguf::kAlignmentKey &&
      (value.type != ValueType::kUint32 || value.int_at() != static_cast<int64_t>(alignment_))) {
    return argument_error(std::string(gguf::kAlignmentKey) + " must be UINT32 " + std::to_string(alignment_) +
                          " (the writer's alignment), got " + value.type_name());
  }
  keys_.insert(key);
  metadata_.emplace_back(std::move(key), std::move(value));
  return ok_status();
}

Status GgufLayout::add_tensor(std::string name, std::vector<int64_t> ne, gguf::GgmlType type) {
  auto fail = [&](std::string message) { return argument_error(std::move(message)).with_tensor(name); };
  if (names_.count(name) != 0) return fail("duplicate tensor name");
  if (name.size() > gguf::kMaxNameBytes) {
    return fail("name of " + std::to_string(name.size()) + " bytes, at most 63 fit GGML_MAX_NAME");
  }
  if (ne.empty() || ne.size() > gguf::kMaxDims) return fail(std::to_string(ne.size()) + " dims, expected 1 to 4");
  const auto* traits = gguf::ggml_type_traits(static_cast<int32_t>(type));
  if (traits == nullptr) return fail("ggml type " + std::to_string(static_cast<int32_t>(type)) + " is not written");
  for (int64_t d : ne) {
    if (d <= 0) return fail("dim " + std::to_string(d) + " is not positive");
  }
  if (ne[0] % traits->block_size != 0) {
    return fail("ne[0] " + std::to_string(ne[0]) + " is not a multiple of " + traits->name + "'s block of " +
                std::to_string(traits->block_size));
  }
  const auto nbytes = gguf::ggml_tensor_bytes(type, ne);
  const auto padded = nbytes ? gguf::gguf_pad(*nbytes, alignment_) : std::nullopt;
  const auto end = padded ? checked_add(data_bytes_, *padded) : std::nullopt;
  if (!end) return Error(ErrorCode::kLimit, "gguf: tensor size overflows 64 bits").with_tensor(name);
  names_.insert(name);
  tensors_.push_back(TensorSlot{std::move(name), std::move(ne), type, *nbytes, data_bytes_});
  data_bytes_ = *end;
  return ok_status();
}

uint64_t GgufLayout::padding_after(uint64_t nbytes) const {
  return (alignment_ - nbytes % alignment_) % alignment_;
}

std::vector<uint8_t> GgufLayout::header_bytes() const {
  const bool add_alignment = alignment_ != gguf::kDefaultAlignment && keys_.count(gguf::kAlignmentKey) == 0;
  std::vector<uint8_t> out;
  put<uint32_t>(&out, gguf::kMagic);
  put<uint32_t>(&out, gguf::kVersion);
  put<int64_t>(&out, static_cast<int64_t>(tensors_.size()));
  put<int64_t>(&out, static_cast<int64_t>(metadata_.size() + (add_alignment ? 1 : 0)));
  for (const auto& [key, value] : metadata_) {
    put_string(&out, key);
    put_value(&out, value);
  }
  if (add_alignment) {
    put_string(&out, gguf::kAlignmentKey);
    put_value(&out, Value::u32(alignment_));
  }
  for (const auto& t : tensors_) {
    put_string(&out, t.name);
    put<uint32_t>(&out, static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) put<int64_t>(&out, d);
    put<int32_t>(&out, static_cast<int32_t>(t.type));
    put<uint64_t>(&out, t.offset);
  }
  out.resize(out.size() + padding_after(out.size()), 0);
  return out;
}

}  // namespace hfb::gguf_layout
