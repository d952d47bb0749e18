// safetensors parser: checks the 8-byte length, the JSON header and every tensor's data span before
// trusting any of it; tensors come back as views into the source (no copy). See docs/formats/safetensors.md.
#include "readers/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

#include "core/checked_math.h"
#include "readers/input_kind.h"
#include "readers/safetensors_json.h"

namespace hfb {
namespace {

using nlohmann::json;
using safetensors_json::json_type_name;

constexpr uint64_t kLengthFieldBytes = 8;
constexpr const char* kMetadataKey = "__metadata__";
constexpr const char* kSupportedDTypes = "F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL";

/// What every message about one file needs: where it is and where its header keys are.
struct HeaderContext {
  const std::string& path;
  const safetensors_json::JsonDocument& doc;
  uint64_t data_start = 0;  ///< absolute offset of the data section
  uint64_t data_size = 0;   ///< bytes in the data section

  /// Absolute offset of the tensor's key in the header (header start if unknown).
  uint64_t entry_offset(const std::string& name) const {
    auto it = doc.key_offsets.find(name);
    return it == doc.key_offsets.end() ? kLengthFieldBytes : it->second;
  }
  Error entry_error(ErrorCode code, const std::string& name, std::string message) const {
    return Error(code, std::move(message)).with_path(path).with_offset(entry_offset(name)).with_tensor(name);
  }
  /// An error about a tensor's data, located at its first data byte when that is representable.
  Error data_error(ErrorCode code, const std::string& name, uint64_t begin, std::string message) const {
    auto at = checked_add(data_start, begin);
    return Error(code, std::move(message)).with_path(path).with_offset(at ? *at : entry_offset(name)).with_tensor(name);
  }
};

std::string span_text(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

/// Reads N and checks it against the limit and the file size.
Result<uint64_t> read_header_length(const ByteSource& source, const SafetensorsLimits& limits) {
  const std::string& path = source.path();
  if (source.size() < kLengthFieldBytes) {
    return Error(ErrorCode::kInvalidFile,
                 "file is " + std::to_string(source.size()) +
                     " bytes, too short for the 8-byte header length (truncated download or empty file?)")
        .with_path(path)
        .with_offset(0);
  }
  {
    // A Git LFS pointer, GGUF file, pickle or HTML page where a safetensors file should be: say which.
    HFB_TRY(ByteSpan head, source.read(0, std::min<uint64_t>(source.size(), 512)));
    const std::string foreign = describe_foreign_file(head.data, head.size);
    if (!foreign.empty()) return Error(ErrorCode::kInvalidFile, foreign).with_path(path).with_offset(0);
  }
  HFB_TRY(ByteSpan span, source.read(0, kLengthFieldBytes));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | span.data[i];  // little-endian on any host
  if (n > limits.max_header_bytes) {
    return Error(ErrorCode::kLimit, "header length " + std::to_string(n) + " exceeds the limit of " +
                                        std::to_string(limits.max_header_bytes) +
                                        " bytes (corrupt length field or not a safetensors file?)")
        .with_path(path)
        .with_offset(0);
  }
  if (n > source.size() - kLengthFieldBytes) {
    return Error(ErrorCode::kInvalidFile,
                 "header length " + std::to_string(n) + " runs past the end of the file (" +
                     std::to_string(source.size()) + " bytes; truncated download?)")
        .with_path(path)
        .with_offset(0);
  }
  return n;
}

Result<DType> parse_dtype(const HeaderContext& ctx, const std::string& name, const json& entry) {
  auto it = entry.find("dtype");
  if (it == entry.end()) return ctx.entry_error(ErrorCode::kInvalidFile, name, "entry has no 'dtype'");
  if (!it->is_string()) {
    return ctx.entry_error(ErrorCode::kInvalidFile, name,
                           "'dtype' must be a string, got " + json_type_name(*it));
  }
  const std::string& text = it->get_ref<const std::string&>();
  auto dtype = DType::from_name(text);
  if (!dtype || dtype->is_quantized()) {
    return ctx.entry_error(ErrorCode::kUnsupported, name,
                           "dtype '" + text + "' is not supported (expected one of " + kSupportedDTypes + ")");
  }
  return *dtype;
}

Result<Shape> parse_shape(const HeaderContext& ctx, const std::string& name, const json& entry,
                          const SafetensorsLimits& limits) {
  auto it = entry.find("shape");
  if (it == entry.end()) return ctx.entry_error(ErrorCode::kInvalidFile, name, "entry has no 'shape'");
  if (!it->is_array()) {
    return ctx.entry_error(ErrorCode::kInvalidFile, name, "'shape' must be an array, got " + json_type_name(*it));
  }
  if (it->size() > limits.max_rank) {
    return ctx.entry_error(ErrorCode::kLimit, name, "rank " + std::to_string(it->size()) +
                                                        " exceeds the limit of " + std::to_string(limits.max_rank));
  }
  std::vector<int64_t> dims;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& d = (*it)[i];
    const std::string where = "shape[" + std::to_string(i) + "]";
    if (d.is_number_integer() && !d.is_number_unsigned()) {
      return ctx.entry_error(ErrorCode::kInvalidFile, name, where + " is negative (" + d.dump() + ")");
    }
    if (!d.is_number_unsigned()) {
      return ctx.entry_error(ErrorCode::kInvalidFile, name,
                             where + " must be a non-negative integer, got " + json_type_name(d));
    }
    const uint64_t v = d.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return ctx.entry_error(ErrorCode::kLimit, name, where + " = " + std::to_string(v) + " does not fit in int64");
    }
    dims.push_back(static_cast<int64_t>(v));
  }
  return Shape(std::move(dims));
}

struct DataSpan {
  uint64_t begin = 0;
  uint64_t end = 0;
};

Result<DataSpan> parse_data_offsets(const HeaderContext& ctx, const std::string& name, const json& entry) {
  auto it = entry.find("data_offsets");
  if (it == entry.end()) return ctx.entry_error(ErrorCode::kInvalidFile, name, "entry has no 'data_offsets'");
  if (!it->is_array() || it->size() != 2 || !(*it)[0].is_number_unsigned() ||
      !(*it)[1].is_number_unsigned()) {
    return ctx.entry_error(ErrorCode::kInvalidFile, name,
                           "'data_offsets' must be [begin, end] with two non-negative integers, got " +
                               it->dump());
  }
  DataSpan span{(*it)[0].get<uint64_t>(), (*it)[1].get<uint64_t>()};
  if (span.begin > span.end) {
    return ctx.entry_error(ErrorCode::kInvalidFile, name,
                           "data_offsets " + span_text(span.begin, span.end) + " has begin > end");
  }
  return span;
}

/// Validates one header entry and its data span (but not its neighbours).
Result<TensorInfo> parse_entry(const HeaderContext& ctx, const std::string& name, const json& entry,
                               const SafetensorsLimits& limits) {
  if (!entry.is_object()) {
    return ctx.entry_error(ErrorCode::kInvalidFile, name,
                           "entry must be an object {dtype, shape, data_offsets}, got " + json_type_name(entry));
  }
  HFB_TRY(DType dtype, parse_dtype(ctx, name, entry));
  HFB_TRY(Shape shape, parse_shape(ctx, name, entry, limits));
  HFB_TRY(DataSpan span, parse_data_offsets(ctx, name, entry));
  if (span.end > ctx.data_size) {
    return ctx.data_error(ErrorCode::kInvalidFile, name, span.begin,
                          "data " + span_text(span.begin, span.end) + " exceeds data section of " +
                              std::to_string(ctx.data_size) + " bytes (truncated download?)");
  }
  const std::string what = std::string(dtype.name()) + " " + shape.to_string();
  auto expected = shape.num_bytes(dtype);
  if (!expected) {
    return ctx.entry_error(ErrorCode::kLimit, name, "byte size of " + what + " overflows 64 bits");
  }
  const uint64_t got = span.end - span.begin;
  if (got != *expected) {
    return ctx.data_error(ErrorCode::kInvalidFile, name, span.begin,
                          "data span " + span_text(span.begin, span.end) + " is " + std::to_string(got) +
                              " bytes, expected " + std::to_string(*expected) + " (" + what + ")");
  }
  TensorInfo info;
  info.name = name;
  info.dtype = dtype;
  info.shape = std::move(shape);
  info.offset = ctx.data_start + span.begin;  // cannot overflow: end <= data_size and data_start + data_size == file size
  info.num_bytes = got;
  return info;
}

Result<std::map<std::string, std::string>> parse_metadata(const HeaderContext& ctx, const json& value) {
  const uint64_t at = ctx.entry_offset(kMetadataKey);
  if (!value.is_object()) {
    return Error(ErrorCode::kInvalidFile, "'__metadata__' must be an object of strings, got " + json_type_name(value))
        .with_path(ctx.path)
        .with_offset(at);
  }
  std::map<std::string, std::string> out;
  for (const auto& [key, v] : value.items()) {
    if (!v.is_string()) {
      return Error(ErrorCode::kInvalidFile,
                   "'__metadata__' value for '" + key + "' must be a string, got " + json_type_name(v))
          .with_path(ctx.path)
          .with_offset(at);
    }
    out.emplace(key, v.get<std::string>());
  }
  return out;
}

/// Sorted by begin, the spans must tile the data section exactly: no overlap, no gap, no tail
/// (the reference implementation requires the same).
Status validate_layout(const HeaderContext& ctx, std::vector<TensorInfo>& tensors) {
  std::sort(tensors.begin(), tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    if (a.offset != b.offset) return a.offset < b.offset;
    if (a.num_bytes != b.num_bytes) return a.num_bytes < b.num_bytes;
    return a.name < b.name;
  });
  uint64_t covered = 0;  // relative end of the data covered so far
  const TensorInfo* previous = nullptr;
  for (const TensorInfo& t : tensors) {
    const uint64_t begin = t.offset - ctx.data_start;
    const uint64_t end = begin + t.num_bytes;
    if (begin < covered) {
      const uint64_t prev_begin = previous->offset - ctx.data_start;
      return ctx.data_error(ErrorCode::kInvalidFile, t.name, begin,
                            "data " + span_text(begin, end) + " overlaps tensor '" + previous->name + "' at " +
                                span_text(prev_begin, prev_begin + previous->num_bytes));
    }
    if (begin > covered) {
      return ctx.data_error(ErrorCode::kInvalidFile, t.name, begin,
                            "data starts at " + std::to_string(begin) + " but the previous tensor ends at " +
                                std::to_string(covered) + ": " + std::to_string(begin - covered) +
                                " bytes belong to no tensor (corrupt data_offsets?)");
    }
    covered = end;
    previous = &t;
  }
  if (covered != ctx.data_size) {
    return Error(ErrorCode::kInvalidFile,
                 "data section is " + std::to_string(ctx.data_size) + " bytes but tensors cover only " +
                     std::to_string(covered) + " (" + std::to_string(ctx.data_size - covered) +
                     " trailing bytes; wrong header or appended data?)")
        .with_path(ctx.path)
        .with_offset(ctx.data_start + covered);
  }
  return ok_status();
}

}  // namespace

Result<SafetensorsFile> parse_safetensors_file(std::shared_ptr<const ByteSource> source,
                                               const SafetensorsLimits& limits) {
  if (!source) return Error(ErrorCode::kInternal, "parse_safetensors: null byte source");
  const std::string& path = source->path();
  SafetensorsFile file;
  HFB_TRY(file.header_bytes, read_header_length(*source, limits));
  file.data_offset = kLengthFieldBytes + file.header_bytes;
  HFB_TRY(ByteSpan header, source->read(kLengthFieldBytes, file.header_bytes));
  const std::string_view text(reinterpret_cast<const char*>(header.data), header.size);
  HFB_TRY(safetensors_json::JsonDocument doc,
          safetensors_json::parse_json_document(text, path, kLengthFieldBytes, 1, "header",
                                                limits.max_tensors + 1));  // + __metadata__
  HeaderContext ctx{path, doc, file.data_offset, source->size() - file.data_offset};

  const uint64_t num_tensors = doc.root.size() - doc.root.count(kMetadataKey);
  if (num_tensors > limits.max_tensors) {
    return Error(ErrorCode::kLimit, "header lists " + std::to_string(num_tensors) +
                                        " tensors, more than the limit of " + std::to_string(limits.max_tensors))
        .with_path(path)
        .with_offset(kLengthFieldBytes);
  }
  file.tensors.reserve(doc.root.size());
  for (const auto& [name, entry] : doc.root.items()) {
    if (name == kMetadataKey) {
      HFB_TRY(file.metadata, parse_metadata(ctx, entry));
      continue;
    }
    HFB_TRY(TensorInfo info, parse_entry(ctx, name, entry, limits));
    info.source = source;
    file.tensors.push_back(std::move(info));
  }
  HFB_TRY(validate_layout(ctx, file.tensors));
  return file;
}

Result<std::vector<TensorInfo>> parse_safetensors(std::shared_ptr<const ByteSource> source,
                                                  const SafetensorsLimits& limits) {
  HFB_TRY(SafetensorsFile file, parse_safetensors_file(std::move(source), limits));
  return std::move(file.tensors);
}

}  // namespace hfb
