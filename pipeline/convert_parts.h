// Pieces of a convert that `requant` repeats exactly: the checkpoint directory and its config hash (the
// manifest's Source), and the coverage record written for a tensor.
#pragma once

#include <cstdint>
#include <string>

#include "quant/coverage.h"
#include "writers/bundle_writer.h"

namespace hfb {

/// The directory holding config.json for a checkpoint path (a directory, or a file inside it).
std::string checkpoint_dir(const std::string& source);
/// XXH3-64 of the file's bytes (Source.config_xxh3); 0 when it cannot be read.
uint64_t checkpoint_config_hash(const std::string& config_path);
/// The manifest's coverage record of one tensor (scheme, rule, reason, bytes, error metrics).
BundleCoverageEntry bundle_coverage_entry(const CoverageEntry& entry);

}  // namespace hfb
