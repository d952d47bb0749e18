// quantize() plus the streamed convert's error figures in one pass over the source (the convert hot path).
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "quant/scheme.h"

namespace hfb {

/// Error of one row as the streamed convert counts it: float partial sums in 8 lanes (element i goes to
/// lane i % 8, lanes filled in element order), combined per row in double. Never fails.
QuantMetrics row_error_lanes(const float* x, const float* y, int64_t n);

/// Whether quantize_with_row_metrics takes the fused one-pass path for this input: BF16 source, SSE2, and
/// q4_0 (cols % 32 == 0) or int8 with one f16 scale per row (params as normalize_params stores them).
bool fused_encode_supported(Scheme scheme, const SourceMatrix& src, const QuantParams& params);

/// Which row kernels the fused path may use: the best this CPU runs (AVX2 on x86-64 when present), or SSE2
/// only (tests compare the two; the results are bit-identical).
enum class FusedIsa { kBest, kSse2 };

/// quantize(scheme, src, params) (codes, scales, LUT byte-identical to it, whatever params.compute_metrics
/// says) with `metrics` = the row_error_lanes figures of every row against its decoded values, summed in
/// row order: independent of params.num_threads. Fused inputs (fused_encode_supported) are widened,
/// encoded, decoded and measured row by row on params.num_threads threads; others are quantized, then
/// decoded and measured. Fails exactly as quantize() (bad shape or params, non-finite int8 input, f16
/// scale overflow). `codes_storage`: a buffer whose storage the fused path reuses for the codes (contents
/// overwritten; no zero fill when its size already matches), e.g. the codes of an earlier, written block.
Result<EncodedTensor> quantize_with_row_metrics(Scheme scheme, const SourceMatrix& src, const QuantParams& params,
                                                FusedIsa isa = FusedIsa::kBest,
                                                std::vector<uint8_t> codes_storage = {});

/// quantize_weighted (quant/weighted_quantize.h) with `metrics` as quantize_with_row_metrics measures them
/// (row_error_lanes per row, summed in row order). Fails as quantize_weighted.
Result<EncodedTensor> quantize_weighted_with_row_metrics(Scheme scheme, const SourceMatrix& src,
                                                         const QuantParams& params,
                                                         const std::vector<float>& column_weights);

}  // namespace hfb
