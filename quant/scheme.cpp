// Scheme names, encoded-tensor layout helpers, shape checks and validation of encoded tensors.
#include "quant/scheme.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/checked_math.h"
#include "quant/quant_internal.h"

namespace hfb {
namespace {

constexpr std::array<std::string_view, 7> kSchemeNames = {"none", "int8", "int4", "q4_0",
                                                          "q8_0", "kmeans4", "kmeans8"};

bool is_absmax(Scheme s) { return s == Scheme::kInt8 || s == Scheme::kInt4; }
bool is_kmeans(Scheme s) { return s == Scheme::kKmeans4 || s == Scheme::kKmeans8; }
bool is_ggml(Scheme s) { return s == Scheme::kQ4_0 || s == Scheme::kQ8_0; }

Error shape_error(const SourceMatrix& src, Scheme scheme, const std::string& rule) {
  return Error(ErrorCode::kInvalidArgument,
               std::string(scheme_name(scheme)) + " cannot encode [" + std::to_string(src.rows) + ", " +
                   std::to_string(src.cols) + "]: " + rule)
      .with_tensor(src.name);
}

uint64_t expected_scale_count(const EncodedTensor& e) {
  if (is_absmax(e.scheme)) {
    return e.params.per_tensor ? 1 : static_cast<uint64_t>(e.rows * e.blocks_per_row());
  }
  if (is_kmeans(e.scheme) && e.params.per_channel_scale) return static_cast<uint64_t>(e.rows);
  return 0;
}

}  // namespace

std::string_view scheme_name(Scheme scheme) { return kSchemeNames[static_cast<size_t>(scheme)]; }

Result<Scheme> parse_scheme(std::string_view name) {
  for (size_t i = 0; i < kSchemeNames.size(); ++i) {
    if (kSchemeNames[i] == name) return static_cast<Scheme>(i);
  }
  std::string valid;
  for (auto n : kSchemeNames) valid += (valid.empty() ? "" : "|") + std::string(n);
  return Error(ErrorCode::kInvalidArgument,
               "unknown quantization scheme '" + std::string(name) + "', expected one of " + valid);
}

double QuantMetrics::snr_db() const {
  if (sse == 0) return std::numeric_limits<double>::infinity();
  if (signal == 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / sse);
}

double QuantMetrics::sse_per_weight() const { return num_weights > 0 ? sse / num_weights : 0.0; }

double QuantMetrics::max_rel_error() const {
  return max_abs_value > 0 ? max_abs_error / max_abs_value : 0.0;
}

void QuantMetrics::add(const QuantMetrics& part) {
  num_weights += part.num_weights;
  sse += part.sse;
  signal += part.signal;
  max_abs_error = std::max(max_abs_error, part.max_abs_error);
  max_abs_value = std::max(max_abs_value, part.max_abs_value);
}

int64_t EncodedTensor::row_stride() const {
  switch (scheme) {
    case Scheme::kNone: return cols * 4;
    case Scheme::kInt8:
    case Scheme::kKmeans8: return cols;
    case Scheme::kInt4:
    case Scheme::kKmeans4: return (cols + 1) / 2;
    case Scheme::kQ4_0: return cols / 32 * 18;
    case Scheme::kQ8_0: return cols / 32 * 34;
  }
  return 0;
}

int64_t EncodedTensor::scale_bytes() const { return params.f32_scales ? 4 : 2; }

int64_t EncodedTensor::blocks_per_row() const {
  if (!is_absmax(scheme) || params.per_tensor || params.block_size <= 0) return 1;
  return (cols + params.block_size - 1) / params.block_size;
}

int64_t EncodedTensor::scale_index(int64_t row, int64_t col) const {
  if (is_kmeans(scheme)) return row;
  if (params.per_tensor) return 0;
  if (params.block_size <= 0) return row;
  return row * blocks_per_row() + col / params.block_size;
}

float EncodedTensor::scale_at(int64_t index) const {
  if (params.f32_scales) {
    float f;
    std::memcpy(&f, scales.data() + index * 4, 4);
    return f;
  }
  return f16_to_f32(quant_internal::read_u16(scales.data() + index * 2));
}

int64_t EncodedTensor::lut_size() const {
  return scheme == Scheme::kKmeans4 ? 16 : scheme == Scheme::kKmeans8 ? 256 : 0;
}

int64_t EncodedTensor::num_groups() const {
  if (!is_kmeans(scheme) || rows == 0) return 0;
  return (rows + params.group_size - 1) / params.group_size;
}

int64_t EncodedTensor::group_of_row(int64_t row) const { return row / params.group_size; }

uint64_t EncodedTensor::encoded_bytes() const {
  return codes.size() + scales.size() + lut.size() * sizeof(float);
}

Status check_quantizable(Scheme scheme, const SourceMatrix& src, const QuantParams& params) {
  const DTypeId d = src.dtype.id();
  if (d != DTypeId::kF32 && d != DTypeId::kF16 && d != DTypeId::kBF16) {
    return Error(ErrorCode::kUnsupported, "cannot quantize dtype " + std::string(src.dtype.name()) +
                                              " (expected F32, F16 or BF16)")
        .with_tensor(src.name);
  }
  if (src.rows <= 0 || src.cols <= 0) return shape_error(src, scheme, "the tensor is empty");
  if (!checked_mul(static_cast<uint64_t>(src.rows), static_cast<uint64_t>(src.cols)) ||
      src.rows > (int64_t{1} << 40) || src.cols > (int64_t{1} << 40)) {
    return Error(ErrorCode::kLimit, "tensor too large to quantize").with_tensor(src.name);
  }
  if (params.num_threads < 1) {
    return Error(ErrorCode::kInvalidArgument, "num_threads must be >= 1").with_tensor(src.name);
  }
  if (is_ggml(scheme) && src.cols % 32 != 0) {
    return shape_error(src, scheme, "ggml blocks need the row length (cols) to be a multiple of 32, got cols=" +
                                        std::to_string(src.cols));
  }
  if (is_absmax(scheme) && params.block_size < 0) {
    return shape_error(src, scheme, "block size must be >= 0 (0 = one scale per row), got " +
                                        std::to_string(params.block_size));
  }
  if (is_kmeans(scheme) && !params.per_tensor && params.group_size < 1) {
    return shape_error(src, scheme, "group size must be >= 1 row, got " + std::to_string(params.group_size));
  }
  if (src.data == nullptr) {
    return Error(ErrorCode::kInvalidArgument, "no source data").with_tensor(src.name);
  }
  return ok_status();
}

Status validate_encoded(const EncodedTensor& e) {
  return validate_encoded_parts(e, e.codes.size(), e.scales.size(), e.lut.size());
}

Status validate_encoded_parts(const EncodedTensor& e, uint64_t code_size, uint64_t scale_size, uint64_t lut_entries_got) {
  auto fail = [&](const std::string& what, uint64_t expected, uint64_t got) -> Status {
    return Error(ErrorCode::kInvalidFile, std::string(scheme_name(e.scheme)) + " tensor [" +
                                              std::to_string(e.rows) + ", " + std::to_string(e.cols) + "]: " +
                                              what + " " + std::to_string(got) + ", expected " +
                                              std::to_string(expected))
        .with_tensor(e.name);
  };
  if (static_cast<size_t>(e.scheme) >= kSchemeNames.size()) return fail("scheme id", 0, static_cast<uint64_t>(e.scheme));
  if (e.rows <= 0 || e.cols <= 0 || e.rows > (int64_t{1} << 40) || e.cols > (int64_t{1} << 40)) {
    return fail("rows", 1, static_cast<uint64_t>(e.rows));
  }
  if (is_ggml(e.scheme) && e.cols % 32 != 0) return fail("cols % 32", 0, static_cast<uint64_t>(e.cols % 32));
  if (is_absmax(e.scheme) && e.params.block_size < 0) return fail("block size", 0, 0);
  if (is_kmeans(e.scheme) && e.params.group_size < 1) return fail("group size", 1, 0);
  auto shape_n = e.shape.num_elements();
  if (!shape_n || *shape_n != static_cast<uint64_t>(e.rows) * static_cast<uint64_t>(e.cols)) {
    return fail("shape elements", static_cast<uint64_t>(e.rows * e.cols), shape_n.value_or(0));
  }
  const uint64_t code_bytes = static_cast<uint64_t>(e.rows) * static_cast<uint64_t>(e.row_stride());
  if (code_size != code_bytes) return fail("code bytes", code_bytes, code_size);
  const uint64_t scale_bytes = expected_scale_count(e) * static_cast<uint64_t>(e.scale_bytes());
  if (scale_size != scale_bytes) return fail("scale bytes", scale_bytes, scale_size);
  const uint64_t lut_entries = static_cast<uint64_t>(e.num_groups() * e.lut_size());
  if (lut_entries_got != lut_entries) return fail("LUT entries", lut_entries, lut_entries_got);
  return ok_status();
}

}  // namespace hfb
