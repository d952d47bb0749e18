// Reading and validating a .imatrix file (calibration statistics, docs/formats/imatrix.md).
#pragma once

#include <string>

#include "core/error.h"
#include "quant/imatrix.h"

namespace hfb {

/// Largest .imatrix file read (a 31B model's statistics are a few MB).
constexpr uint64_t kMaxImatrixFileBytes = 1ull << 30;

/// Parses the bytes of a .imatrix file. Every field is checked before it is used: kInvalidFile with the byte
/// offset for a bad magic, a header shorter than version 1's, a truncated entry, an empty or over-long name,
/// names not strictly ascending (duplicates), zero columns, a negative or non-finite sum, trailing bytes or a
/// body checksum mismatch; kUnsupported for a newer version; kLimit for an entry count the bytes cannot hold.
Result<ImportanceMatrix> parse_imatrix(const std::string& bytes);

/// Reads and parses `path`. Fails like read_small_file (kNotFound, kLimit above kMaxImatrixFileBytes) and
/// parse_imatrix, the path named.
Result<ImportanceMatrix> read_imatrix(const std::string& path);

}  // namespace hfb
