// Coverage report of a quantization run: per tensor scheme, reason, bytes and error; totals by role.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/role.h"
#include "core/tensor.h"
#include "quant/policy.h"
#include "quant/scheme.h"

namespace hfb {

struct CoverageEntry {
  std::string name;
  Role role = Role::kNorm;
  Tower tower = Tower::kText;
  Scheme scheme = Scheme::kNone;   ///< kNone: kept as it is
  std::string reason;
  bool fallback = false;
  PolicyRule rule = PolicyRule::kDefault;  ///< the policy rule that chose `scheme`
  uint64_t bytes_before = 0;       ///< the source tensor's bytes
  uint64_t bytes_after = 0;        ///< encoded bytes (codes + scales + LUT), or bytes_before when kept
  std::optional<QuantMetrics> metrics;  ///< set when quantized
};

struct CoverageTotals {
  int64_t tensors = 0;
  int64_t quantized = 0;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  int64_t quantized_weights = 0;
  double sse = 0;     ///< over quantized tensors
  double signal = 0;  ///< over quantized tensors
  double snr_db() const;  ///< +inf when sse == 0
};

struct CoverageReport {
  std::vector<CoverageEntry> entries;          ///< in tensor-table order
  std::map<std::string, CoverageTotals> by_role;  ///< key: role_name
  CoverageTotals total;
  /// Appends an entry and adds it to the totals.
  void add(CoverageEntry entry);
};

/// Every tensor of a table with its decision applied: the encoded tensors (by name) and the report.
struct QuantizedTable {
  std::map<std::string, EncodedTensor> encoded;
  CoverageReport coverage;
};

/// Decides and quantizes every tensor of `tensors` (unused and kept tensors appear in the report too).
/// Fails like QuantPolicy::decide and quantize() (ByteSource read errors, non-finite input to int8/int4/
/// kmeans), with the tensor named.
Result<QuantizedTable> quantize_table(const QuantPolicy& policy, const TensorTable& tensors);
/// The same with each tensor's chunk (name -> chunk name, e.g. from a chunk plan), so chunk_types apply;
/// a tensor missing from `chunk_of` has no chunk.
Result<QuantizedTable> quantize_table(const QuantPolicy& policy, const TensorTable& tensors,
                                      const std::map<std::string, std::string>& chunk_of);

/// A readable table (one line per tensor, then totals by role and overall).
std::string coverage_table(const CoverageReport& report);
/// The totals only (by role and overall), a few lines.
std::string coverage_summary(const CoverageReport& report);

}  // namespace hfb
