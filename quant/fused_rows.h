// Internal: the per-row lane sums of the fused encoder and its AVX2 row kernels (fused_encode_avx2.cpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace hfb {
namespace fused_internal {

constexpr int kLanes = 8;

/// Per-lane partial sums of one row: lane l takes the elements i with i % kLanes == l, in element order.
struct RowLanes {
  float sse[kLanes] = {}, signal[kLanes] = {}, max_err[kLanes] = {}, max_abs[kLanes] = {};
};

/// One element (source v, decoded y) into lane l.
inline void lane_add(RowLanes* lanes, int l, float v, float y) {
  const float e = v - y;
  lanes->sse[l] += e * e;
  lanes->signal[l] += v * v;
  lanes->max_err[l] = std::max(lanes->max_err[l], std::fabs(e));
  lanes->max_abs[l] = std::max(lanes->max_abs[l], std::fabs(v));
}

/// Whether this CPU runs the AVX2 kernels below (always false off x86-64).
bool cpu_has_avx2();

// The AVX2 kernels compute exactly what the SSE2 ones in fused_encode.cpp compute (same operations per
// element, same lane order); call them only when cpu_has_avx2().

/// Largest |x| of a bf16 row as bits (>= 0x7F80: inf or NaN present).
uint16_t bf16_absmax_bits_avx2(const uint16_t* p, int64_t n);
/// int8 codes of whole groups of 8 elements (x * inv rounded half away, clamped to +-127), decoded as
/// code * s and measured into `lanes` (overwritten); returns the first element not done.
int64_t int8_body_avx2(const uint16_t* p, int64_t n, float inv, float s, int8_t* q, RowLanes* lanes);
/// A bf16 row (cols % 32 == 0) to q4_0 blocks at `out`, decoded and measured into `lanes` (overwritten).
void q4_0_row_avx2(const uint16_t* p, int64_t cols, uint8_t* out, RowLanes* lanes);

}  // namespace fused_internal
}  // namespace hfb
