// The quantization coverage report as JSON (quant/ has no JSON library; rendering lives here).
#pragma once

#include <string>

#include "quant/coverage.h"

namespace hfb {

/// {"tensors": [{name, role, tower, scheme, reason, fallback, bytes_before, bytes_after, snr_db,
/// max_rel_error, sse_per_weight}...], "by_role": {role: totals}, "total": totals}. Infinite SNR
/// (lossless) is written as the string "inf"; metrics of kept tensors are null. Never fails.
std::string coverage_to_json(const CoverageReport& report);

}  // namespace hfb
