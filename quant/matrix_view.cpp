// MatrixView construction, exact row decoding, the scalar reference and portable dot kernels, dispatch.
#include "quant/matrix_view.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "quant/scheme.h"

namespace hfb {
namespace {

constexpr int64_t kSpan = 32;  // columns decoded per step of the portable fused kernel (one ggml block)

uint16_t load_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

/// int8/int4 code at column c of a row.
int code_at(const MatrixView& m, const uint8_t* row, int64_t c) {
  if (m.format == RowFormat::kInt8) return static_cast<int8_t>(row[c]);
  const uint8_t byte = row[c >> 1];
  return static_cast<int>((c & 1) ? (byte >> 4) : (byte & 15)) - 8;
}

void decode_absmax(const MatrixView& m, int64_t r, int64_t c0, int64_t n, float* out) {
  const uint8_t* row = m.codes + r * m.row_stride;
  const int64_t block = m.scale_block;
  const int64_t per_row = (m.cols + block - 1) / block;
  for (int64_t c = c0; c < c0 + n;) {
    const int64_t index = m.per_tensor_scale ? 0 : r * per_row + c / block;
    const float s = m.scale(index);
    const int64_t end = std::min(c0 + n, (c / block + 1) * block);
    for (; c < end; ++c) out[c - c0] = static_cast<float>(code_at(m, row, c)) * s;
  }
}

/// ggml blocks; c0 and n are multiples of 32.
void decode_ggml(const MatrixView& m, int64_t r, int64_t c0, int64_t n, float* out) {
  const bool q4 = m.format == RowFormat::kQ4_0;
  const int64_t block_bytes = q4 ? 18 : 34;
  const uint8_t* p = m.codes + r * m.row_stride + (c0 / 32) * block_bytes;
  for (int64_t b = 0; b < n / 32; ++b, p += block_bytes, out += 32) {
    const float d = f16_to_f32(load_u16(p));
    for (int j = 0; j < (q4 ? 16 : 32); ++j) {
      if (q4) {
        out[j] = static_cast<float>((p[2 + j] & 0x0F) - 8) * d;
        out[j + 16] = static_cast<float>((p[2 + j] >> 4) - 8) * d;
      } else {
        out[j] = static_cast<float>(static_cast<int8_t>(p[2 + j])) * d;
      }
    }
  }
}

void decode_kmeans(const MatrixView& m, int64_t r, int64_t c0, int64_t n, float* out) {
  const bool k8 = m.format == RowFormat::kKmeans8;
  const float* lut = m.lut + (r / m.group_size) * (k8 ? 256 : 16);
  const uint8_t* p = m.codes + r * m.row_stride;
  for (int64_t c = c0; c < c0 + n; ++c) {
    out[c - c0] = lut[k8 ? p[c] : ((c & 1) ? (p[c >> 1] >> 4) : (p[c >> 1] & 15))];
  }
  if (!m.row_scales) return;
  const float s = m.scale(r);
  for (int64_t i = 0; i < n; ++i) out[i] *= s;
}

/// Columns [c0, c0 + n) of row r, exact. For q4_0/q8_0, c0 and n are multiples of 32.
void decode_span(const MatrixView& m, int64_t r, int64_t c0, int64_t n, float* out) {
  const uint8_t* row = m.codes + r * m.row_stride;
  switch (m.format) {
    case RowFormat::kF32: std::memcpy(out, row + c0 * 4, static_cast<size_t>(n) * 4); return;
    case RowFormat::kBF16:
      for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_f32(load_u16(row + (c0 + i) * 2));
      return;
    case RowFormat::kF16:
      for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(load_u16(row + (c0 + i) * 2));
      return;
    case RowFormat::kInt8:
    case RowFormat::kInt4: decode_absmax(m, r, c0, n, out); return;
    case RowFormat::kQ4_0:
    case RowFormat::kQ8_0: decode_ggml(m, r, c0, n, out); return;
    case RowFormat::kKmeans4:
    case RowFormat::kKmeans8: decode_kmeans(m, r, c0, n, out); return;
  }
}

float reduce8(const float* acc) {
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

RowFormat format_of(Scheme scheme) {
  switch (scheme) {
    case Scheme::kNone: return RowFormat::kF32;
    case Scheme::kInt8: return RowFormat::kInt8;
    case Scheme::kInt4: return RowFormat::kInt4;
    case Scheme::kQ4_0: return RowFormat::kQ4_0;
    case Scheme::kQ8_0: return RowFormat::kQ8_0;
    case Scheme::kKmeans4: return RowFormat::kKmeans4;
    case Scheme::kKmeans8: return RowFormat::kKmeans8;
  }
  return RowFormat::kF32;
}

}  // namespace

const char* row_format_name(RowFormat format) {
  static const char* const kNames[] = {"f32", "bf16", "f16", "int8", "int4", "q4_0", "q8_0", "kmeans4", "kmeans8"};
  return kNames[static_cast<int>(format)];
}

float MatrixView::scale(int64_t index) const {
  if (f32_scales) {
    float f;
    std::memcpy(&f, scales + index * 4, 4);
    return f;
  }
  return f16_to_f32(load_u16(scales + index * 2));
}

uint64_t MatrixView::bytes() const { return bytes_of_rows(0, rows); }

uint64_t MatrixView::bytes_of_rows(int64_t begin, int64_t end) const {
  if (end <= begin) return 0;
  const auto count = static_cast<uint64_t>(end - begin);
  uint64_t total = count * static_cast<uint64_t>(row_stride);
  const uint64_t scale_size = f32_scales ? 4 : 2;
  if (format == RowFormat::kInt8 || format == RowFormat::kInt4) {
    const uint64_t per_row = static_cast<uint64_t>((cols + scale_block - 1) / scale_block);
    total += (per_tensor_scale ? 1 : count * per_row) * scale_size;
  }
  if (format == RowFormat::kKmeans4 || format == RowFormat::kKmeans8) {
    const uint64_t groups = static_cast<uint64_t>((end - 1) / group_size - begin / group_size + 1);
    total += groups * (format == RowFormat::kKmeans8 ? 256 : 16) * 4;
    if (row_scales) total += count * scale_size;
  }
  return total;
}

MatrixView matrix_view(const EncodedTensor& enc) {
  MatrixView m;
  m.format = format_of(enc.scheme);
  m.rows = enc.rows;
  m.cols = enc.cols;
  m.codes = enc.codes.data();
  m.row_stride = enc.row_stride();
  m.scales = enc.scales.empty() ? nullptr : enc.scales.data();
  m.f32_scales = enc.params.f32_scales;
  const bool blocked = enc.params.block_size > 0 && !enc.params.per_tensor && enc.params.block_size < enc.cols;
  m.scale_block = blocked ? enc.params.block_size : enc.cols;
  m.per_tensor_scale = enc.params.per_tensor;
  m.row_scales = enc.params.per_channel_scale;
  m.lut = enc.lut.empty() ? nullptr : enc.lut.data();
  m.group_size = std::max<int64_t>(1, enc.params.group_size);  // kmeans: rows per LUT (validated >= 1)
  return m;
}

Result<MatrixView> float_matrix_view(const void* data, DType dtype, int64_t rows, int64_t cols) {
  MatrixView m;
  m.rows = rows;
  m.cols = cols;
  m.codes = static_cast<const uint8_t*>(data);
  switch (dtype.id()) {
    case DTypeId::kF32: m.format = RowFormat::kF32; m.row_stride = cols * 4; break;
    case DTypeId::kBF16: m.format = RowFormat::kBF16; m.row_stride = cols * 2; break;
    case DTypeId::kF16: m.format = RowFormat::kF16; m.row_stride = cols * 2; break;
    default:
      return Error(ErrorCode::kUnsupported, std::string("cannot compute on dtype ") + std::string(dtype.name()) +
                                                " (expected F32, F16 or BF16)");
  }
  return m;
}

void matrix_decode_rows_portable(const MatrixView& m, int64_t begin, int64_t end, float* out) {
  HFB_CHECK(begin >= 0 && begin <= end && end <= m.rows);
  for (int64_t r = begin; r < end; ++r) decode_span(m, r, 0, m.cols, out + (r - begin) * m.cols);
}

void matrix_decode_rows(const MatrixView& m, int64_t begin, int64_t end, float* out) {
  HFB_CHECK(begin >= 0 && begin <= end && end <= m.rows);
  if (matrix_kernels_use_avx2() && matrix_internal::decode_rows_avx2(m, begin, end, out)) return;
  matrix_decode_rows_portable(m, begin, end, out);
}

void matrix_dot_rows_reference(const MatrixView& m, const float* x, int64_t begin, int64_t end, float* y) {
  HFB_CHECK(begin >= 0 && begin <= end && end <= m.rows);
  std::vector<float> row(static_cast<size_t>(m.cols));
  for (int64_t r = begin; r < end; ++r) {
    decode_span(m, r, 0, m.cols, row.data());
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t c = 0; c < m.cols; ++c) acc[c % 8] += row[c] * x[c];
    y[r - begin] = reduce8(acc);
  }
}

void matrix_dot_rows_portable(const MatrixView& m, const float* x, int64_t begin, int64_t end, float* y) {
  HFB_CHECK(begin >= 0 && begin <= end && end <= m.rows);
  float span[kSpan];
  for (int64_t r = begin; r < end; ++r) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t c0 = 0; c0 < m.cols; c0 += kSpan) {
      const int64_t n = std::min(kSpan, m.cols - c0);
      decode_span(m, r, c0, n, span);
      const float* xs = x + c0;
      int64_t i = 0;
      for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; ++k) acc[k] += span[i + k] * xs[i + k];
      }
      for (int k = 0; i < n; ++i, ++k) acc[k] += span[i] * xs[i];
    }
    y[r - begin] = reduce8(acc);
  }
}

bool matrix_kernels_use_avx2() {
  static const bool use = matrix_internal::cpu_has_avx2_fma();
  return use;
}

void matrix_dot_rows(const MatrixView& m, const float* x, int64_t begin, int64_t end, float* y) {
  HFB_CHECK(begin >= 0 && begin <= end && end <= m.rows);
  if (matrix_kernels_use_avx2() && matrix_internal::dot_rows_avx2(m, x, begin, end, y)) return;
  matrix_dot_rows_portable(m, x, begin, end, y);
}

}  // namespace hfb
