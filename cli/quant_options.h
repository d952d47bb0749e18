// The --quant options shared by `verify` and `run` (in-memory quantization per policy).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "quant/coverage.h"
#include "quant/policy.h"

namespace hfb::cli {

struct QuantCliOptions {
  std::string quant;  ///< empty: no quantization
  int64_t group_size = 32;
  int64_t block_size = 0;
  bool per_tensor = false;
  std::vector<std::string> tensor_types;
  std::vector<std::string> role_types;
  std::vector<std::string> chunk_types;  ///< CHUNK=SCHEME (convert only: add_chunk_type_option)
  int64_t min_elements = kDefaultMinElements;
  std::string coverage;  ///< write the coverage JSON here
  bool allow_nonfinite = false;  ///< QuantParams::allow_nonfinite
};

/// Adds --quant, --group-size, --block-size, --per-tensor, --tensor-type, --role-type, --min-elements, --coverage.
/// A non-empty `quant_help` replaces the --quant help (convert quantizes what it writes, not "in memory first").
void add_quant_options(CLI::App* sub, QuantCliOptions* options, const std::string& quant_help = "");

/// Adds --chunk-type CHUNK=SCHEME (convert: chunk names exist only once the plan is made).
void add_chunk_type_option(CLI::App* sub, QuantCliOptions* options);

/// The policy, or nullopt when --quant was not given. Fails with kInvalidArgument for a bad scheme,
/// REGEX=SCHEME / ROLE=SCHEME item, or quant flags without --quant.
Result<std::optional<QuantPolicy>> make_quant_policy(const QuantCliOptions& options);

/// Prints the coverage summary (stderr: stdout holds only the result) and writes the JSON when --coverage was given.
Status emit_coverage(const QuantCliOptions& options, const CoverageReport& coverage);

}  // namespace hfb::cli
