// Extracting one tensor of a bundle: its stored bytes as they are, or its float32 values (widened or decoded).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <tuple>

#include "pipeline/bundle_inspect.h"
#include "quant/policy.h"

namespace hfb {

namespace {

constexpr int64_t kElementsPerBlock = int64_t{1} << 20;  // f32 output is produced in ~4 MiB row blocks

// Reads a whole segment (a view: no copy for directory bundles).
Result<ByteSpan> segment_bytes(const BundleTensor& t, const BundleSegmentView& s) {
  auto span = s.source->read(s.offset, s.length);
  if (!span.ok()) return std::move(span).error().with_tensor(t.info.name);
  return span;
}

// The matrix view quant/ uses (quant/policy.h matrix_view: rank 3 is a stack of matrices).
void rows_and_cols(const Shape& shape, int64_t* rows, int64_t* cols) {
  std::tie(*rows, *cols) = matrix_view(shape);
}

// Writes through `OUT.tmp-XXXXXX` renamed onto `path`; `produce` appends with the writer it is given.
Status write_file_atomic(const std::string& path,
                         const std::function<Status(const std::function<Status(const void*, size_t)>&)>& produce) {
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) {
    return Error(ErrorCode::kIo, std::string("cannot create a file: ") + std::strerror(errno)).with_path(path);
  }
  ::fchmod(fd, 0644);
  auto write_all = [&](const void* data, size_t size) -> Status {
    const auto* p = static_cast<const uint8_t*>(data);
    while (size > 0) {
      const ssize_t n = ::write(fd, p, size);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Error(ErrorCode::kIo, std::string("write failed: ") + std::strerror(errno)).with_path(path);
      p += n;
      size -= static_cast<size_t>(n);
    }
    return ok_status();
  };
  Status produced = produce(write_all);
  const bool closed = ::close(fd) == 0;
  if (produced.ok() && !closed) produced = Error(ErrorCode::kIo, "close failed").with_path(path);
  if (produced.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    produced = Error(ErrorCode::kIo, std::string("cannot rename into place: ") + std::strerror(errno)).with_path(path);
  }
  if (!produced.ok()) ::unlink(tmp.c_str());
  return produced;
}

// Widens `count` plain elements starting at element `first` of `bytes` into out.
Status widen_plain(DType dtype, const uint8_t* bytes, int64_t first, int64_t count, float* out) {
  auto load = [&](auto tag, int64_t i) {
    decltype(tag) v;
    std::memcpy(&v, bytes + (first + i) * sizeof(v), sizeof(v));
    return v;
  };
  switch (dtype.id()) {
    case DTypeId::kF32: for (int64_t i = 0; i < count; ++i) out[i] = load(float{}, i); break;
    case DTypeId::kF64: for (int64_t i = 0; i < count; ++i) out[i] = static_cast<float>(load(double{}, i)); break;
    case DTypeId::kF16: for (int64_t i = 0; i < count; ++i) out[i] = f16_to_f32(load(uint16_t{}, i)); break;
    case DTypeId::kBF16: for (int64_t i = 0; i < count; ++i) out[i] = bf16_to_f32(load(uint16_t{}, i)); break;
    case DTypeId::kI64: for (int64_t i = 0; i < count; ++i) out[i] = static_cast<float>(load(int64_t{}, i)); break;
    case DTypeId::kI32: for (int64_t i = 0; i < count; ++i) out[i] = static_cast<float>(load(int32_t{}, i)); break;
    case DTypeId::kI16: for (int64_t i = 0; i < count; ++i) out[i] = load(int16_t{}, i); break;
    case DTypeId::kI8: for (int64_t i = 0; i < count; ++i) out[i] = load(int8_t{}, i); break;
    case DTypeId::kU8:
    case DTypeId::kBool: for (int64_t i = 0; i < count; ++i) out[i] = load(uint8_t{}, i); break;
    default:
      return Error(ErrorCode::kUnsupported, "no float32 values for dtype " + std::string(dtype.name()));
  }
  return ok_status();
}

bool is_encoded(const BundleTensor& t) { return !t.scheme.empty() || t.info.dtype.is_quantized(); }

// Calls `emit(values, count)` for consecutive blocks of the tensor's float32 values.
Status for_each_f32_block(const BundleTensor& t, const std::function<Status(const float*, int64_t)>& emit) {
  int64_t rows = 0, cols = 0;
  rows_and_cols(t.info.shape, &rows, &cols);
  const int64_t rows_per_block = std::max<int64_t>(1, kElementsPerBlock / std::max<int64_t>(cols, 1));
  std::vector<float> block;
  if (is_encoded(t)) {
    HFB_TRY(EncodedTensor enc, bundle_tensor_to_encoded(t));
    for (int64_t r = 0; r < enc.rows; r += rows_per_block) {
      const int64_t end = std::min(enc.rows, r + rows_per_block);
      block.resize(static_cast<size_t>((end - r) * enc.cols));
      dequantize_rows(enc, r, end, block.data());
      HFB_TRY(emit(block.data(), static_cast<int64_t>(block.size())));
    }
    return ok_status();
  }
  const BundleSegmentView* data = t.segment("data");
  if (!data) return Error(ErrorCode::kInvalidFile, "plain tensor has no 'data' segment").with_tensor(t.info.name);
  HFB_TRY(ByteSpan bytes, segment_bytes(t, *data));
  const int64_t total = rows * cols;
  for (int64_t first = 0; first < total; first += rows_per_block * cols) {
    const int64_t count = std::min(total - first, rows_per_block * cols);
    block.resize(static_cast<size_t>(count));
    Status widened = widen_plain(t.info.dtype, bytes.data, first, count, block.data());
    if (!widened.ok()) return std::move(widened).error().with_tensor(t.info.name);
    HFB_TRY(emit(block.data(), count));
  }
  return ok_status();
}

}  // namespace

Result<const BundleTensor*> find_bundle_tensor(const Bundle& bundle, const std::string& name) {
  const BundleTensor* t = bundle.find(name);
  if (!t) {
    return Error(ErrorCode::kNotFound, "no tensor named '" + name + "' in the bundle (" +
                                           std::to_string(bundle.tensors().size()) +
                                           " tensors; `hfbundle inspect BUNDLE` lists them)")
        .with_path(bundle.path())
        .with_tensor(name);
  }
  return t;
}

Result<EncodedTensor> bundle_encoded_shell(const BundleTensor& t) {
  std::string scheme_text = t.scheme;
  if (scheme_text.empty() && t.info.dtype == DType(DTypeId::kQ4_0)) scheme_text = "q4_0";
  if (scheme_text.empty() && t.info.dtype == DType(DTypeId::kQ8_0)) scheme_text = "q8_0";
  auto scheme = parse_scheme(scheme_text);
  if (!scheme.ok()) {
    return Error(ErrorCode::kUnsupported, "not an encoded tensor (scheme '" + t.scheme + "', dtype " +
                                              std::string(t.info.dtype.name()) + ")")
        .with_tensor(t.info.name);
  }
  EncodedTensor enc;
  enc.scheme = *scheme;
  enc.name = t.info.name;
  enc.shape = t.info.shape;
  rows_and_cols(enc.shape, &enc.rows, &enc.cols);
  enc.params.block_size = t.block_size;
  enc.params.group_size = t.group_size > 0 && !t.per_tensor ? std::min<int64_t>(t.group_size, enc.rows) : enc.rows;
  enc.params.per_tensor = t.per_tensor;
  enc.params.f32_scales = t.scale_dtype == "F32";
  enc.params.per_channel_scale = t.per_channel_scale;
  return enc;
}

Result<EncodedTensor> bundle_tensor_to_encoded(const BundleTensor& t) {
  HFB_TRY(EncodedTensor enc, bundle_encoded_shell(t));
  for (const BundleSegmentView& s : t.segments) {
    HFB_TRY(ByteSpan bytes, segment_bytes(t, s));
    if (s.part == "codes" || s.part == "data") {
      enc.codes.assign(bytes.data, bytes.data + bytes.size);
    } else if (s.part == "scales") {
      enc.scales.assign(bytes.data, bytes.data + bytes.size);
    } else if (s.part == "lut") {
      if (bytes.size % sizeof(float) != 0) {
        return Error(ErrorCode::kInvalidFile, "lut segment of " + std::to_string(bytes.size) +
                                                  " bytes is not a whole number of float32 values")
            .with_tensor(t.info.name);
      }
      enc.lut.resize(bytes.size / sizeof(float));
      if (bytes.size) std::memcpy(enc.lut.data(), bytes.data, bytes.size);
    }
  }
  HFB_TRY(validate_encoded(enc));
  return enc;
}

Result<std::vector<float>> bundle_tensor_to_f32(const BundleTensor& t) {
  std::vector<float> out;
  HFB_TRY(for_each_f32_block(t, [&](const float* values, int64_t count) {
    out.insert(out.end(), values, values + count);
    return ok_status();
  }));
  return out;
}

Status write_bundle_tensor_raw(const BundleTensor& t, const std::string& path) {
  return write_file_atomic(path, [&](const std::function<Status(const void*, size_t)>& write) -> Status {
    for (const BundleSegmentView& s : t.segments) {
      HFB_TRY(ByteSpan bytes, segment_bytes(t, s));
      HFB_TRY(write(bytes.data, static_cast<size_t>(bytes.size)));
    }
    return ok_status();
  });
}

Status write_bundle_tensor_f32(const BundleTensor& t, const std::string& path) {
  // float32 is written from memory as is: hfbundle supports little-endian hosts only (as the bundle format does).
  return write_file_atomic(path, [&](const std::function<Status(const void*, size_t)>& write) -> Status {
    return for_each_f32_block(t, [&](const float* values, int64_t count) {
      return write(values, static_cast<size_t>(count) * sizeof(float));
    });
  });
}

}  // namespace hfb
