// Polyphase rational resampling, the algorithm of scipy.signal.resample_poly (Kaiser-windowed sinc, float64).
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"

namespace hfb::media {

/// Resamples `x` by up/down (reduced by their gcd) exactly as scipy.signal.resample_poly(x, up, down) with its
/// defaults (window ('kaiser', 5.0), padtype 'constant' 0): FIR firwin(20·max(up,down)+1, 1/max(up,down)) · up,
/// upfirdn in float64, output length ceil(n·up/down), cast to float32. Fails with kInvalidArgument for an empty
/// input or up/down < 1, kLimit when the output would exceed `max_output`.
Result<std::vector<float>> resample_poly(const std::vector<float>& x, int64_t up, int64_t down,
                                         int64_t max_output = int64_t{1} << 31);

/// resample_poly from `from_rate` to `to_rate` Hz (a copy when they are equal).
Result<std::vector<float>> resample_rate(const std::vector<float>& x, int from_rate, int to_rate);

}  // namespace hfb::media
