// Serialising an importance matrix (quant/imatrix.h) in the .imatrix format of docs/formats/imatrix.md.
#pragma once

#include <string>

#include "quant/imatrix.h"

namespace hfb {

/// The file's bytes: header (magic "HFBIMTX\0", version 1, header bytes, entry count, sequences, tokens, XXH3-64
/// of the body) then one entry per tensor in name order. Same matrix, same bytes. Never fails.
std::string encode_imatrix(const ImportanceMatrix& imatrix);

}  // namespace hfb
