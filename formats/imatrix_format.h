// Constants of the .imatrix format (calibration statistics, docs/formats/imatrix.md) shared by the writer
// (writers/imatrix_writer.h) and the reader (readers/imatrix_reader.h).
#pragma once

#include <cstdint>

namespace hfb {

/// The first 8 bytes of every .imatrix file.
inline constexpr char kImatrixMagic[8] = {'H', 'F', 'B', 'I', 'M', 'T', 'X', '\0'};
/// Version written by this build; readers refuse a higher one.
inline constexpr uint32_t kImatrixVersion = 1;
/// Header bytes of version 1 (magic, version, header_bytes, entries, sequences, tokens, body_xxh3). A later
/// version may append fields; readers skip to header_bytes.
inline constexpr uint32_t kImatrixHeaderBytes = 48;
/// Longest tensor name an entry may carry.
inline constexpr uint32_t kImatrixMaxNameBytes = 4096;

}  // namespace hfb
