// MatrixView: a non-owning view of a weight matrix in any stored format (plain float or encoded), and the
// row kernels the runtime computes with: exact row decoding and fused decode-and-dot (no decoded row).
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/error.h"

namespace hfb {

struct EncodedTensor;

/// Every row format the runtime computes on: checkpoint floats and each quantization scheme.
enum class RowFormat : uint8_t { kF32, kBF16, kF16, kInt8, kInt4, kQ4_0, kQ8_0, kKmeans4, kKmeans8 };

/// "f32", "bf16", "f16", "int8", "int4", "q4_0", "q8_0", "kmeans4", "kmeans8".
const char* row_format_name(RowFormat format);

/// A row-major [rows, cols] matrix whose bytes live elsewhere (an mmapped file, an EncodedTensor, a
/// checkpoint tensor); valid while they do. Layouts per format: docs/formats/quant-schemes.md.
struct MatrixView {
  RowFormat format = RowFormat::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  const uint8_t* codes = nullptr;  ///< rows * row_stride bytes (floats, int codes, ggml blocks, LUT indices)
  int64_t row_stride = 0;          ///< bytes per row
  const uint8_t* scales = nullptr; ///< int8/int4 scales, kmeans per-row scales (f16 or f32, little-endian)
  bool f32_scales = false;
  int64_t scale_block = 0;         ///< int8/int4: columns per scale (== cols for one scale per row)
  bool per_tensor_scale = false;   ///< int8/int4: scales[0] for every row
  bool row_scales = false;         ///< kmeans: each row is multiplied by scales[row]
  const float* lut = nullptr;      ///< kmeans: groups * 16 / 256 centroids
  int64_t group_size = 1;          ///< kmeans: rows per LUT

  /// Scale `index` decoded to float (f16 or f32 storage).
  float scale(int64_t index) const;
  /// Bytes a full matrix-vector product reads (codes + scales + LUTs).
  uint64_t bytes() const;
  /// Bytes a product over rows [begin, end) reads: their codes and scales (the one scale of a per-tensor scale),
  /// every LUT of a group they touch (an expert's rows of an expert bank: runtime weight-bytes counts).
  uint64_t bytes_of_rows(int64_t begin, int64_t end) const;
};

/// A view of an encoded tensor's codes, scales and LUT (valid while `enc` lives and is not resized).
MatrixView matrix_view(const EncodedTensor& enc);
/// A view of a plain float matrix (F32, BF16 or F16, row-major). kUnsupported for any other dtype.
Result<MatrixView> float_matrix_view(const void* data, DType dtype, int64_t rows, int64_t cols);

/// Decodes rows [begin, end) into out[(row - begin) * cols + col]: the exact stored values (the scalar
/// reference decoding of every scheme). q4_0, q8_0 and bf16 rows are decoded with AVX2 when the CPU has it
/// (prefill tiles), to bit-identical floats. CHECKs 0 <= begin <= end <= rows.
void matrix_decode_rows(const MatrixView& m, int64_t begin, int64_t end, float* out);
/// The scalar decoder (what matrix_decode_rows runs without AVX2 and for the other formats).
void matrix_decode_rows_portable(const MatrixView& m, int64_t begin, int64_t end, float* out);

/// y[row - begin] = sum_c W[row, c] * x[c] for rows [begin, end): the fused decode-and-dot kernel of the
/// format, AVX2+FMA(+F16C) when the CPU has them, else the portable one. Each weight is decoded to the
/// same float as matrix_decode_rows, and products are accumulated in float32; the result differs from
/// matrix_dot_rows_reference only by summation order (and fused multiply-add rounding). Rows are
/// independent, so any split of rows across threads gives identical values.
void matrix_dot_rows(const MatrixView& m, const float* x, int64_t begin, int64_t end, float* y);
/// The portable fused kernel (what matrix_dot_rows runs without AVX2).
void matrix_dot_rows_portable(const MatrixView& m, const float* x, int64_t begin, int64_t end, float* y);
/// The scalar oracle: decode a row, then a dot product with 8 partial sums in a fixed order.
void matrix_dot_rows_reference(const MatrixView& m, const float* x, int64_t begin, int64_t end, float* y);
/// Whether matrix_dot_rows uses the AVX2 kernels on this CPU.
bool matrix_kernels_use_avx2();

namespace matrix_internal {
/// AVX2+FMA+F16C kernel of m's format; false if this build or CPU has none (then nothing is written).
bool dot_rows_avx2(const MatrixView& m, const float* x, int64_t begin, int64_t end, float* y);
/// AVX2 row decoding of q4_0, q8_0 and bf16 (exactly matrix_decode_rows_portable's floats); false for
/// other formats or without AVX2 in this build (then nothing is written).
bool decode_rows_avx2(const MatrixView& m, int64_t begin, int64_t end, float* out);
bool cpu_has_avx2_fma();
}  // namespace matrix_internal

}  // namespace hfb
