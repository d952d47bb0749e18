// The scheme traits table (ggml type_traits style): one row per Scheme with its name, layout and entry points.
// Everything that needs a fact about a scheme (the encoders, the decoders, the bundle reader's size checks,
// the convert pipeline, help texts) reads it here, so a new scheme is one enum value and one row.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "quant/scheme.h"

namespace hfb {

/// How a scheme stores its scale information (what the per-row parts hold besides the codes).
enum class SchemeFamily : uint8_t {
  kFloat,   ///< plain float32 codes, no scales (none)
  kAbsmax,  ///< int codes + f16/f32 scales per row, per block of a row or per tensor (int8, int4)
  kGgml,    ///< self-contained ggml blocks, scales inside the codes (q4_0, q8_0)
  kKmeans,  ///< index codes + an f32 LUT per group of rows (+ optional per-row scales) (kmeans4, kmeans8)
};

/// Bytes of each part of an encoded [rows, cols] tensor (what a bundle stores as segments).
struct EncodedPartSizes {
  uint64_t codes = 0;        ///< "codes" segment bytes
  uint64_t scales = 0;       ///< "scales" segment bytes (0: no such segment)
  uint64_t lut_entries = 0;  ///< float32 entries of the "lut" segment (0: no such segment)
};

struct SchemeTraits {
  Scheme scheme;
  std::string_view name;     ///< as written in bundles and accepted by --quant
  SchemeFamily family;
  bool is_float;             ///< codes are the float32 values themselves
  int64_t block_size;        ///< elements per code block along a row (cols must be a multiple); 1: none
  int64_t block_bytes;       ///< bytes per block (ggml blocks); 0: codes are `code_bits` per element
  int code_bits;             ///< bits per element for unblocked codes (padded to a byte per row)
  int64_t lut_size;          ///< centroids per LUT (k-means), else 0
  /// Fills codes/scales/lut of `out` (whose scheme, shape and params are set) from `src`.
  Status (*encode)(const SourceMatrix& src, bool reference, EncodedTensor* out);
  /// Decodes row `row` of a valid tensor into out[0 .. cols).
  void (*decode_row)(const EncodedTensor& enc, int64_t row, float* out);
};

/// The row of `scheme` (every enum value has one).
const SchemeTraits& scheme_traits(Scheme scheme);
/// The row named `name`, or null.
const SchemeTraits* find_scheme_traits(std::string_view name);
/// Every scheme name joined by `separator` ("none|int8|...").
std::string scheme_name_list(std::string_view separator);

/// Bytes of codes per row of `cols` elements (cols is a multiple of block_size).
int64_t scheme_row_bytes(const SchemeTraits& traits, int64_t cols);

/// The part sizes a [rows, cols] tensor encoded with `params` (as stored: EncodedTensor::params) must have.
/// kInvalidFile naming the rule when no such encoding exists (cols not a multiple of the block size, a
/// negative block size, a group size < 1, an empty or oversized matrix).
Result<EncodedPartSizes> encoded_part_sizes(Scheme scheme, int64_t rows, int64_t cols, const QuantParams& params);

}  // namespace hfb
