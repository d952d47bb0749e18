// check_source_values: every scheme refuses NaN/Inf input (none: unless QuantParams::allow_nonfinite; a quantizer
// never turns non-finite values into finite ones), and q4_0/q8_0 blocks whose f16 scale overflows (unless
// allow_nonfinite), naming tensor, row and column.
#include <cmath>
#include <string>
#include <vector>

#include "quant/quant_internal.h"

namespace hfb {
namespace {

/// Bits of the exponent field (all ones = Inf or NaN) per float dtype; integer tests vectorise.
template <typename Bits>
int64_t first_all_ones(const uint8_t* data, int64_t count, Bits mask) {
  for (int64_t i = 0; i < count; ++i) {
    Bits v;
    std::memcpy(&v, data + i * static_cast<int64_t>(sizeof(Bits)), sizeof(Bits));
    if ((v & mask) == mask) return i;
  }
  return -1;
}

std::string where(const SourceMatrix& src, int64_t row, int64_t col) {
  return "row " + std::to_string(src.first_row + row) + ", column " + std::to_string(col);
}

/// q4_0: d = max / -8, q8_0: d = amax / 127, stored as f16 (ggml); a block overflows when f16(|d|) is inf.
Status check_block_scales(Scheme scheme, const SourceMatrix& src) {
  const float divisor = scheme == Scheme::kQ4_0 ? 8.0f : 127.0f;
  std::vector<float> x(static_cast<size_t>(src.cols));
  for (int64_t r = 0; r < src.rows; ++r) {
    quant_internal::load_row(src, r, x.data());
    for (int64_t c0 = 0; c0 + 32 <= src.cols; c0 += 32) {
      float amax = 0;
      for (int64_t c = c0; c < c0 + 32; ++c) amax = std::max(amax, std::fabs(x[static_cast<size_t>(c)]));
      if (!std::isinf(f16_to_f32(f32_to_f16(amax / divisor)))) continue;
      char value[32];
      std::snprintf(value, sizeof value, "%g", static_cast<double>(amax));
      return Error(ErrorCode::kInvalidArgument,
                   std::string(scheme_name(scheme)) + ": the block at " + where(src, r, c0) + " (32 columns) has max |x| " +
                       value + ", so its f16 scale (max / " + (scheme == Scheme::kQ4_0 ? "8" : "127") +
                       ") exceeds the f16 range (65504): the block would decode to Inf/NaN; use int8 or kmeans for "
                       "this tensor (--tensor-type), or --allow-nonfinite to write ggml's blocks anyway")
          .with_tensor(src.name);
    }
  }
  return ok_status();
}

}  // namespace

int64_t first_nonfinite(const void* data, DType dtype, int64_t count) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  switch (dtype.id()) {
    case DTypeId::kF32: return first_all_ones<uint32_t>(bytes, count, 0x7F800000u);
    case DTypeId::kF16: return first_all_ones<uint16_t>(bytes, count, 0x7C00u);
    case DTypeId::kBF16: return first_all_ones<uint16_t>(bytes, count, 0x7F80u);
    default: return -1;
  }
}

Status check_source_values(Scheme scheme, const SourceMatrix& src, const QuantParams& params) {
  if (src.rows <= 0 || src.cols <= 0 || (params.allow_nonfinite && scheme == Scheme::kNone)) return ok_status();
  const int64_t bad = first_nonfinite(src.data, src.dtype, src.rows * src.cols);
  if (bad >= 0) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string(scheme_name(scheme)) + ": non-finite weight (inf or NaN) at " +
                     where(src, bad / src.cols, bad % src.cols) +
                     (params.allow_nonfinite
                          ? " (a quantizer never turns non-finite values into finite ones: convert, requant and "
                            "export keep such a tensor float under --allow-nonfinite)"
                          : " (--allow-nonfinite keeps the tensor float; docs/quantization.md)"))
        .with_tensor(src.name);
  }
  if (params.allow_nonfinite) return ok_status();
  if (scheme == Scheme::kQ4_0 || scheme == Scheme::kQ8_0) return check_block_scales(scheme, src);
  return ok_status();
}

}  // namespace hfb
