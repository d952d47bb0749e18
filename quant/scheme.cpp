// Scheme names, encoded-tensor layout helpers, shape checks and validation of encoded tensors.
#include "quant/scheme.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/checked_math.h"
#include "quant/quant_internal.h"
#include "quant/scheme_traits.h"

namespace hfb {
namespace {

bool is_absmax(Scheme s) { return scheme_traits(s).family == SchemeFamily::kAbsmax; }
bool is_kmeans(Scheme s) { return scheme_traits(s).family == SchemeFamily::kKmeans; }

Error shape_error(const SourceMatrix& src, Scheme scheme, const std::string& rule) {
  return Error(ErrorCode::kInvalidArgument,
               std::string(scheme_name(scheme)) + " cannot encode [" + std::to_string(src.rows) + ", " +
                   std::to_string(src.cols) + "]: " + rule)
      .with_tensor(src.name);
}

}  // namespace

std::string_view scheme_name(Scheme scheme) { return scheme_traits(scheme).name; }

Result<Scheme> parse_scheme(std::string_view name) {
  if (const SchemeTraits* traits = find_scheme_traits(name)) return traits->scheme;
  return Error(ErrorCode::kInvalidArgument,
               "unknown quantization scheme '" + std::string(name) + "', expected one of " + scheme_name_list("|"));
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

int64_t EncodedTensor::row_stride() const { return scheme_row_bytes(scheme_traits(scheme), cols); }

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

int64_t EncodedTensor::lut_size() const { return scheme_traits(scheme).lut_size; }

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
  const int64_t block = scheme_traits(scheme).block_size;
  if (src.cols % block != 0) {
    return shape_error(src, scheme, "ggml blocks need the row length (cols) to be a multiple of " +
                                        std::to_string(block) + ", got cols=" + std::to_string(src.cols));
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
  if (static_cast<size_t>(e.scheme) > static_cast<size_t>(Scheme::kKmeans8)) {
    return fail("scheme id", 0, static_cast<uint64_t>(e.scheme));
  }
  auto parts = encoded_part_sizes(e.scheme, e.rows, e.cols, e.params);
  if (!parts.ok()) return std::move(parts).error().with_tensor(e.name);
  auto shape_n = e.shape.num_elements();
  if (!shape_n || *shape_n != static_cast<uint64_t>(e.rows) * static_cast<uint64_t>(e.cols)) {
    return fail("shape elements", static_cast<uint64_t>(e.rows * e.cols), shape_n.value_or(0));
  }
  if (code_size != parts->codes) return fail("code bytes", parts->codes, code_size);
  if (scale_size != parts->scales) return fail("scale bytes", parts->scales, scale_size);
  if (lut_entries_got != parts->lut_entries) return fail("LUT entries", parts->lut_entries, lut_entries_got);
  return ok_status();
}

}  // namespace hfb
