// Quantization schemes: names, parameters, the encoded tensor, and encode / decode / matvec on it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace hfb {

/// Every weight encoding hfbundle writes. Byte layouts: docs/formats/quant-schemes.md.
enum class Scheme : uint8_t {
  kNone,     ///< plain float32, row-major (codes = the f32 bytes)
  kInt8,     ///< absmax symmetric int8 in [-127, 127], scale = amax / 127
  kInt4,     ///< absmax symmetric int4 in [-7, 7], scale = amax / 7, two codes per byte
  kQ4_0,     ///< ggml q4_0 blocks (18 bytes per 32 elements), bit-exact with quantize_row_q4_0_ref
  kQ8_0,     ///< ggml q8_0 blocks (34 bytes per 32 elements), bit-exact with quantize_row_q8_0_ref
  kKmeans4,  ///< 16-entry LUT per tensor or per group of rows, 4-bit indices two per byte
  kKmeans8,  ///< 256-entry LUT per tensor or per group of rows, 8-bit indices
};

/// "none", "int8", "int4", "q4_0", "q8_0", "kmeans4", "kmeans8".
std::string_view scheme_name(Scheme scheme);
/// Parses a scheme name (case-sensitive); kInvalidArgument listing the valid names otherwise.
Result<Scheme> parse_scheme(std::string_view name);

struct QuantParams {
  int64_t group_size = 32;         ///< kmeans: rows (output channels) per LUT; the last group may be smaller
  int64_t block_size = 0;          ///< int8/int4: input elements per scale; 0 = one scale per row
  bool per_tensor = false;         ///< int8/int4/kmeans: one scale or LUT for the whole tensor
  bool f32_scales = false;         ///< scales stored as f32 instead of f16 (int8/int4, kmeans row scales)
  bool per_channel_scale = false;  ///< kmeans: divide each row by its absmax before clustering
  bool compute_metrics = true;     ///< fill EncodedTensor::metrics (one extra decode pass)
  int num_threads = 2;             ///< threads of the fast path (>= 1); results never depend on it
  /// Skip check_source_values: none stores NaN/Inf as is, q4_0/q8_0 encode them (and f16 scale overflows) as
  /// ggml does (such blocks decode to NaN/Inf); int8/int4/kmeans still refuse them (no encoding exists).
  bool allow_nonfinite = false;
};

/// Error of a decoded tensor against its source. snr_db() is +inf when the error is exactly zero.
struct QuantMetrics {
  int64_t num_weights = 0;
  double sse = 0;             ///< sum of (x - dequant(x))^2
  double signal = 0;          ///< sum of x^2
  double max_abs_error = 0;   ///< max |x - dequant(x)|
  double max_abs_value = 0;   ///< max |x|
  double snr_db() const;      ///< 10 log10(signal / sse); +inf if sse == 0, -inf if signal == 0 < sse
  double sse_per_weight() const;
  double max_rel_error() const;  ///< max_abs_error / max_abs_value (0 for an all-zero tensor)
  /// Adds the figures of a disjoint part (rows, a block): sums add, maxima take the larger. Summing parts
  /// in a fixed order gives the same figures for any split into threads or blocks.
  void add(const QuantMetrics& part);
};

/// A quantized tensor: what the bundle writer stores and what the runtime computes on. The tensor is
/// viewed as a row-major matrix [rows, cols]: rows = shape[0] (output channels), cols = the product of
/// the other dims (rank 1: one row). Rows are independent in every scheme, so any row range decodes alone.
struct EncodedTensor {
  Scheme scheme = Scheme::kNone;
  std::string name;
  Shape shape;                   ///< the original tensor shape
  int64_t rows = 0;
  int64_t cols = 0;
  QuantParams params;            ///< as used; block_size/group_size normalised (see layout helpers)
  std::vector<uint8_t> codes;    ///< row-major, row_stride() bytes per row (q4_0/q8_0: ggml blocks incl. d)
  std::vector<uint8_t> scales;   ///< little-endian f16 or f32 (scale_bytes() each), see scale_index()
  std::vector<float> lut;        ///< kmeans: num_groups() * lut_size() centroids
  QuantMetrics metrics;

  int64_t row_stride() const;       ///< bytes of codes per row
  int64_t scale_bytes() const;      ///< 2 (f16) or 4 (f32)
  int64_t blocks_per_row() const;   ///< int8/int4: scales per row (1 when per row or per tensor)
  int64_t scale_index(int64_t row, int64_t col) const;  ///< int8/int4: index into scales
  float scale_at(int64_t index) const;                  ///< decoded scale `index`
  int64_t lut_size() const;         ///< 16 / 256 for kmeans, else 0
  int64_t num_groups() const;       ///< kmeans: LUT count
  int64_t group_of_row(int64_t row) const;  ///< kmeans: which LUT a row uses
  uint64_t encoded_bytes() const;   ///< codes + scales + LUT (f32) bytes
};

/// A dense float matrix to quantize (not owned). dtype: F32, F16 or BF16, row-major [rows, cols].
struct SourceMatrix {
  const void* data = nullptr;
  DType dtype = DTypeId::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  std::string name;  ///< tensor name for messages
  int64_t first_row = 0;  ///< row of the whole tensor that row 0 is (a streamed block), for messages
};

/// Whether `scheme` can encode a [rows, cols] matrix with these params. kInvalidArgument naming the
/// tensor and the rule when it cannot (e.g. "q4_0 needs cols % 32 == 0, got 16"), kUnsupported for dtypes.
Status check_quantizable(Scheme scheme, const SourceMatrix& src, const QuantParams& params);

/// The parameters a scheme actually stores for a [rows, cols] matrix (what EncodedTensor::params holds):
/// block size only for absmax and only when smaller than a row, group size only for k-means (capped at
/// rows; a group of all rows is per-tensor), no per-tensor/f32-scale flags for none/q4_0/q8_0. Never fails.
QuantParams normalize_params(Scheme scheme, int64_t rows, int64_t cols, QuantParams params);

/// Every scheme's value check (quant/value_check.cpp): kInvalidArgument naming the tensor, row and column of the
/// first NaN/Inf (none: unless params.allow_nonfinite), and for q4_0/q8_0 a block whose f16 scale would overflow
/// (unless params.allow_nonfinite).
Status check_source_values(Scheme scheme, const SourceMatrix& src, const QuantParams& params);
/// First element of `count` values of `dtype` (F32/F16/BF16; -1 for other dtypes) that is NaN or Inf, or -1.
int64_t first_nonfinite(const void* data, DType dtype, int64_t count);

/// Encodes with the fast path (threads + SIMD-friendly loops). Fails as check_quantizable and
/// check_source_values, and with kInvalidArgument naming the tensor and row for non-finite input to
/// any scheme but none (allow_nonfinite or not: a quantizer never turns non-finite values into finite ones;
/// callers keep such a tensor float, quant/nonfinite_rule.h), or an f16 scale overflow (ask for f32 scales;
/// with allow_nonfinite q4_0/q8_0 write ggml's overflowing blocks).
Result<EncodedTensor> quantize(Scheme scheme, const SourceMatrix& src, const QuantParams& params);
/// The scalar single-thread reference; its output is byte-identical to quantize().
Result<EncodedTensor> quantize_reference(Scheme scheme, const SourceMatrix& src, const QuantParams& params);
/// Reads the tensor's bytes from its source and quantizes them; also fails as ByteSource::read and for
/// non-float dtypes (kUnsupported) or a byte size that does not match the shape (kInvalidFile).
Result<EncodedTensor> quantize(Scheme scheme, const TensorInfo& info, const QuantParams& params);

/// Checks sizes of codes/scales/lut against scheme, shape and params (for tensors read from a bundle).
/// kInvalidFile naming the tensor, expected vs got.
Status validate_encoded(const EncodedTensor& enc);
/// The same checks for a tensor whose parts live elsewhere (a mapped bundle): `enc` carries scheme, shape,
/// rows, cols and params; the part sizes are given (codes and scales in bytes, the LUT in float entries).
Status validate_encoded_parts(const EncodedTensor& enc, uint64_t code_bytes, uint64_t scale_bytes,
                              uint64_t lut_entries);

/// Decodes rows [row_begin, row_end) into out[(row - row_begin) * cols + col]. Preconditions (checked,
/// abort on violation: a programmer error): 0 <= row_begin <= row_end <= rows and a valid tensor.
void dequantize_rows(const EncodedTensor& enc, int64_t row_begin, int64_t row_end, float* out);
/// One decoded row (a gather from an embedding table): out[0 .. cols).
void embedding_row(const EncodedTensor& enc, int64_t row, float* out);
/// y[r] = sum_c W[r, c] * x[c] for every row, computed on the encoded weights (single thread).
void matvec(const EncodedTensor& enc, const float* x, float* y);
/// The same for rows [row_begin, row_end) only: y[row - row_begin]. Callers split rows across threads.
void matvec_rows(const EncodedTensor& enc, const float* x, int64_t row_begin, int64_t row_end, float* y);

}  // namespace hfb
