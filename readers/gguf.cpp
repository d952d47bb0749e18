// GGUF v3 reader after ggml's gguf.cpp: every count and size read from the file is compared with the bytes left and
// with GgufLimits before anything is allocated from it; tensors are views into the source. docs/formats/gguf.md.
#include "readers/gguf.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <unordered_set>

#include "core/checked_math.h"
#include "readers/gguf_cursor.h"

namespace hfb {
namespace {

using gguf::Value;
using gguf::ValueType;
using gguf_read::GgufCursor;

constexpr uint64_t kMinKvBytes = 8 + 4 + 1;                // empty key, type, smallest value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // empty name, n_dims, one dim, type, offset

/// ggml's names for the types hfbundle does not read (ggml.h enum ggml_type); "" where ggml has none.
std::string ggml_type_label(int32_t type) {
  static constexpr std::array<const char*, 40> kNames = {
      "F32", "F16", "Q4_0", "Q4_1", "", "", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
      "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16",
      "I32", "I64", "F64", "IQ1_M", "BF16", "", "", "", "TQ1_0", "TQ2_0", "", "", "", "MXFP4"};
  if (type < 0 || type >= static_cast<int32_t>(kNames.size())) return "";
  return kNames[static_cast<size_t>(type)];
}

bool is_value_type(int32_t t) { return t >= 0 && t <= static_cast<int32_t>(ValueType::kFloat64); }

struct Counts {
  uint32_t version = 0;
  uint64_t n_tensors = 0;
  uint64_t n_kv = 0;
};

Result<Counts> parse_counts(GgufCursor& cur, const GgufLimits& limits) {
  HFB_TRY(uint32_t magic, cur.read<uint32_t>("magic"));
  if (magic != gguf::kMagic) {
    return cur.error_at(ErrorCode::kInvalidFile, "bad magic: not a GGUF file (expected \"GGUF\")", 0);
  }
  Counts counts;
  HFB_TRY(counts.version, cur.read<uint32_t>("version"));
  if (counts.version == 0 || (counts.version & 0xFFFFu) == 0) {
    return cur.error_at(ErrorCode::kInvalidFile, "version " + std::to_string(counts.version) +
                                                     " is invalid (0, or a big-endian file read as little-endian)", 4);
  }
  if (counts.version != gguf::kVersion) {
    return cur.error_at(ErrorCode::kUnsupported,
                        "version " + std::to_string(counts.version) + ", only version 3 is read", 4);
  }
  const uint64_t at_tensors = cur.pos();
  HFB_TRY(int64_t n_tensors, cur.read<int64_t>("n_tensors"));
  HFB_TRY(int64_t n_kv, cur.read<int64_t>("n_kv"));
  if (n_tensors < 0 || n_kv < 0) {
    return cur.error_at(ErrorCode::kInvalidFile, "negative count: n_tensors " + std::to_string(n_tensors) +
                                                     ", n_kv " + std::to_string(n_kv), at_tensors);
  }
  counts.n_tensors = static_cast<uint64_t>(n_tensors);
  counts.n_kv = static_cast<uint64_t>(n_kv);
  if (counts.n_tensors > limits.max_tensors) {
    return cur.error_at(ErrorCode::kLimit, "n_tensors " + std::to_string(n_tensors) + " is above the limit of " +
                                               std::to_string(limits.max_tensors) + " (--limit tensors=N raises it)",
                        at_tensors);
  }
  if (counts.n_kv > limits.max_kv) {
    return cur.error_at(ErrorCode::kLimit, "n_kv " + std::to_string(n_kv) + " is above the limit of " +
                                               std::to_string(limits.max_kv), at_tensors + 8);
  }
  const auto tensor_bytes = checked_mul(counts.n_tensors, kMinTensorInfoBytes);
  const auto least = tensor_bytes ? checked_add(counts.n_kv * kMinKvBytes, *tensor_bytes) : std::nullopt;
  if (!least || *least > cur.left()) {
    return cur.error_at(ErrorCode::kInvalidFile, std::to_string(n_kv) + " key/value pairs and " +
                                                     std::to_string(n_tensors) + " tensor infos cannot fit in the " +
                                                     std::to_string(cur.left()) + " bytes left", at_tensors);
  }
  return counts;
}

/// Reads the value of `key` whose type field was `type` (an array's element type and count follow it).
Result<Value> parse_value(GgufCursor& cur, const std::string& key, ValueType type, const GgufLimits& limits) {
  const std::string what = "value of key '" + key + "'";
  Value value;
  value.type = type;
  if (type == ValueType::kString) {
    HFB_TRY(auto s, cur.read_string(what, limits.max_string_bytes));
    value.strings.push_back(std::move(s));
    return value;
  }
  uint64_t count = 1;
  ValueType element = type;
  if (type == ValueType::kArray) {
    const uint64_t at = cur.pos();
    HFB_TRY(int32_t element_raw, cur.read<int32_t>(what + " element type"));
    if (!is_value_type(element_raw) || element_raw == static_cast<int32_t>(ValueType::kArray)) {
      return cur.error_at(ErrorCode::kInvalidFile, "key '" + key + "': array element type " +
                                                       std::to_string(element_raw) +
                                                       (element_raw == 9 ? " (array of arrays) is not allowed"
                                                                         : " is not a GGUF value type (0..12)"), at);
    }
    element = static_cast<ValueType>(element_raw);
    value.element_type = element;
    HFB_TRY(count, cur.read<uint64_t>(what + " element count"));
    if (count > limits.max_array_elements) {
      return cur.error_at(ErrorCode::kLimit, "key '" + key + "': array of " + std::to_string(count) +
                                                 " elements is above the limit of " +
                                                 std::to_string(limits.max_array_elements), at + 4);
    }
  }
  if (element == ValueType::kString) {
    // Each element is at least its 8-byte length: refuse a count the file cannot hold before reserving.
    HFB_TRY(cur.need(count * 8, what + " (" + std::to_string(count) + " strings)"));
    value.strings.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      HFB_TRY(auto s, cur.read_string(what + " element " + std::to_string(i), limits.max_string_bytes));
      value.strings.push_back(std::move(s));
    }
    return value;
  }
  const uint64_t bytes = count * gguf::value_type_size(element);  // count <= 2^24 limit: no overflow
  HFB_TRY(const uint8_t* p, cur.take(bytes, what));
  value.bytes.assign(p, p + bytes);
  return value;
}

/// general.alignment must be a UINT32 power of two (gguf.cpp:621-631); `at` is the key's offset.
Status check_alignment_value(const Value& v, const GgufCursor& cur, uint64_t at) {
  if (v.type != ValueType::kUint32) {
    return cur.error_at(ErrorCode::kInvalidFile, std::string(gguf::kAlignmentKey) + " is " + v.type_name() +
                                                     ", expected UINT32", at);
  }
  const auto a = static_cast<uint32_t>(*v.int_at());
  if (a == 0 || (a & (a - 1)) != 0) {
    return cur.error_at(ErrorCode::kInvalidFile, std::string(gguf::kAlignmentKey) + " " + std::to_string(a) +
                                                     " is not a power of two", at);
  }
  return ok_status();
}

Result<gguf::Metadata> parse_metadata(GgufCursor& cur, uint64_t n_kv, const GgufLimits& limits) {
  gguf::Metadata metadata;
  metadata.reserve(n_kv);
  std::unordered_set<std::string> keys;
  for (uint64_t i = 0; i < n_kv; ++i) {
    const uint64_t at = cur.pos();
    if (at > limits.max_metadata_bytes) {
      return cur.error(ErrorCode::kLimit, "metadata is above the limit of " +
                                              std::to_string(limits.max_metadata_bytes) + " bytes");
    }
    HFB_TRY(auto key, cur.read_string("key " + std::to_string(i), limits.max_string_bytes));
    if (!keys.insert(key).second) return cur.error_at(ErrorCode::kInvalidFile, "duplicate key '" + key + "'", at);
    const uint64_t type_at = cur.pos();
    HFB_TRY(int32_t type, cur.read<int32_t>("type of key '" + key + "'"));
    if (!is_value_type(type)) {
      return cur.error_at(ErrorCode::kInvalidFile, "key '" + key + "': value type " + std::to_string(type) +
                                                       " is not a GGUF value type (0..12)", type_at);
    }
    HFB_TRY(auto value, parse_value(cur, key, static_cast<ValueType>(type), limits));
    if (key == gguf::kAlignmentKey) HFB_TRY(check_alignment_value(value, cur, at));
    metadata.emplace_back(std::move(key), std::move(value));
  }
  return metadata;
}


/// Name, dims, type and the relative offset of one tensor info; nbytes filled, offset still relative.
Result<GgufTensorInfo> parse_tensor_info(GgufCursor& cur, uint64_t index, const GgufLimits& limits) {
  const uint64_t at = cur.pos();
  GgufTensorInfo t;
  HFB_TRY(t.name, cur.read_string("name of tensor " + std::to_string(index), limits.max_string_bytes));
  auto fail = [&](ErrorCode code, std::string message) {
    return cur.error_at(code, "tensor '" + t.name + "': " + std::move(message), at).with_tensor(t.name);
  };
  if (t.name.size() > gguf::kMaxNameBytes) {
    return fail(ErrorCode::kInvalidFile, "name of " + std::to_string(t.name.size()) +
                                             " bytes, at most 63 (GGML_MAX_NAME 64 with the NUL)");
  }
  HFB_TRY(uint32_t n_dims, cur.read<uint32_t>("n_dims of tensor '" + t.name + "'"));
  if (n_dims == 0 || n_dims > gguf::kMaxDims) {
    return fail(ErrorCode::kInvalidFile, std::to_string(n_dims) + " dims, expected 1 to 4");
  }
  for (uint32_t d = 0; d < n_dims; ++d) {
    HFB_TRY(int64_t ne, cur.read<int64_t>("ne[" + std::to_string(d) + "] of tensor '" + t.name + "'"));
    if (ne < 0) return fail(ErrorCode::kInvalidFile, "ne[" + std::to_string(d) + "] = " + std::to_string(ne) + " < 0");
    t.ne.push_back(ne);
  }
  HFB_TRY(int32_t type, cur.read<int32_t>("type of tensor '" + t.name + "'"));
  const auto* traits = gguf::ggml_type_traits(type);
  if (traits == nullptr) {
    const std::string label = ggml_type_label(type);
    if (label.empty()) return fail(ErrorCode::kInvalidFile, "ggml type " + std::to_string(type) + " is unknown");
    return fail(ErrorCode::kUnsupported, "ggml type " + label + " (" + std::to_string(type) +
                                             ") is not read; hfbundle reads F32, F16, BF16, Q4_0 and Q8_0");
  }
  t.type = static_cast<gguf::GgmlType>(type);
  if (t.ne[0] % traits->block_size != 0) {
    return fail(ErrorCode::kInvalidFile, "ne[0] " + std::to_string(t.ne[0]) + " is not a multiple of " +
                                             traits->name + "'s block of " + std::to_string(traits->block_size));
  }
  const auto nbytes = gguf::ggml_tensor_bytes(t.type, t.ne);
  if (!nbytes) return fail(ErrorCode::kInvalidFile, "element count x type size overflows 64 bits");
  t.nbytes = *nbytes;
  HFB_TRY(t.offset, cur.read<uint64_t>("offset of tensor '" + t.name + "'"));
  return t;
}

/// Offsets must be the padded running sum in info order, and every tensor must lie inside the file.
Status place_tensors(GgufFile* file, const GgufCursor& cur) {
  uint64_t expected = 0;
  for (auto& t : file->tensors) {
    auto fail = [&](std::string message) {
      return cur.error_at(ErrorCode::kInvalidFile, "tensor '" + t.name + "': " + std::move(message),
                          file->data_offset).with_tensor(t.name);
    };
    if (t.offset != expected) {
      return fail("offset " + std::to_string(t.offset) + ", expected " + std::to_string(expected) +
                  " (tensors are contiguous in info order, each padded to " + std::to_string(file->alignment) + ")");
    }
    const auto start = checked_add(file->data_offset, t.offset);
    const auto end = start ? checked_add(*start, t.nbytes) : std::nullopt;
    if (!end || *end > file->source->size()) {
      return fail("data [" + std::to_string(t.offset) + ", +" + std::to_string(t.nbytes) +
                  ") of the data section at " + std::to_string(file->data_offset) + " ends beyond the file of " +
                  std::to_string(file->source->size()) + " bytes (truncated download?)");
    }
    const auto next = gguf::gguf_pad(*end - file->data_offset, file->alignment);
    if (!next) return fail("padded end overflows 64 bits");
    t.offset = *start;
    expected = *next;
  }
  return ok_status();
}

}  // namespace

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  for (const auto& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Result<ByteSpan> GgufFile::tensor_data(const GgufTensorInfo& tensor) const {
  return source->read(tensor.offset, tensor.nbytes);
}

Result<GgufFile> parse_gguf(std::shared_ptr<const ByteSource> source, const GgufLimits& limits) {
  if (!source) return Error(ErrorCode::kInternal, "parse_gguf: null byte source");
  HFB_TRY(ByteSpan bytes, source->read(0, source->size()));
  GgufCursor cur(source->path(), bytes);
  HFB_TRY(Counts counts, parse_counts(cur, limits));
  GgufFile file;
  file.source = source;
  file.version = counts.version;
  HFB_TRY(file.metadata, parse_metadata(cur, counts.n_kv, limits));
  if (const Value* a = file.find(gguf::kAlignmentKey)) file.alignment = static_cast<uint32_t>(*a->int_at());
  HFB_TRY(cur.need(counts.n_tensors * kMinTensorInfoBytes, std::to_string(counts.n_tensors) + " tensor infos"));
  file.tensors.reserve(counts.n_tensors);
  std::unordered_set<std::string> names;
  for (uint64_t i = 0; i < counts.n_tensors; ++i) {
    if (cur.pos() > limits.max_metadata_bytes) {
      return cur.error(ErrorCode::kLimit, "header is above the limit of " +
                                              std::to_string(limits.max_metadata_bytes) + " bytes");
    }
    const uint64_t at = cur.pos();
    HFB_TRY(auto info, parse_tensor_info(cur, i, limits));
    if (!names.insert(info.name).second) {
      return cur.error_at(ErrorCode::kInvalidFile, "duplicate tensor name '" + info.name + "'", at)
          .with_tensor(info.name);
    }
    file.tensors.push_back(std::move(info));
  }
  const auto data_offset = gguf::gguf_pad(cur.pos(), file.alignment);
  if (!data_offset) return cur.error(ErrorCode::kInvalidFile, "data section offset overflows");
  file.data_offset = *data_offset;
  if (!file.tensors.empty() && file.data_offset > source->size()) {
    return cur.error(ErrorCode::kInvalidFile, "data section at " + std::to_string(file.data_offset) +
                                                  " starts beyond the file of " + std::to_string(source->size()) +
                                                  " bytes (truncated download?)");
  }
  HFB_TRY(place_tensors(&file, cur));
  return file;
}

Result<GgufFile> read_gguf(const std::string& path, const GgufLimits& limits) {
  HFB_TRY(auto file, MmapFile::open(path));
  return parse_gguf(std::move(file), limits);
}

bool has_gguf_magic(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  uint32_t magic = 0;
  const ssize_t n = ::pread(fd, &magic, sizeof(magic), 0);
  ::close(fd);
  return n == static_cast<ssize_t>(sizeof(magic)) && magic == gguf::kMagic;
}

}  // namespace hfb
