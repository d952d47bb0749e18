// The scheme traits table and the part sizes every layout follows (docs/formats/quant-schemes.md).
#include "quant/scheme_traits.h"

#include <array>

#include "quant/quant_internal.h"

namespace hfb {
namespace {

using namespace quant_internal;

// In Scheme enum order (checked below).
constexpr std::array<SchemeTraits, 7> kSchemeTraits = {{
    {Scheme::kNone, "none", SchemeFamily::kFloat, true, 1, 0, 32, 0, encode_none, decode_row_none},
    {Scheme::kInt8, "int8", SchemeFamily::kAbsmax, false, 1, 0, 8, 0, encode_int8, decode_row_int8},
    {Scheme::kInt4, "int4", SchemeFamily::kAbsmax, false, 1, 0, 4, 0, encode_int4, decode_row_int4},
    {Scheme::kQ4_0, "q4_0", SchemeFamily::kGgml, false, 32, 18, 0, 0, encode_q4_0, decode_row_q4_0},
    {Scheme::kQ8_0, "q8_0", SchemeFamily::kGgml, false, 32, 34, 0, 0, encode_q8_0, decode_row_q8_0},
    {Scheme::kKmeans4, "kmeans4", SchemeFamily::kKmeans, false, 1, 0, 4, 16, encode_kmeans, decode_row_kmeans},
    {Scheme::kKmeans8, "kmeans8", SchemeFamily::kKmeans, false, 1, 0, 8, 256, encode_kmeans, decode_row_kmeans},
}};

constexpr bool table_in_enum_order() {
  for (size_t i = 0; i < kSchemeTraits.size(); ++i) {
    if (static_cast<size_t>(kSchemeTraits[i].scheme) != i) return false;
  }
  return true;
}
static_assert(table_in_enum_order(), "kSchemeTraits rows must follow the Scheme enum");
static_assert(static_cast<size_t>(Scheme::kKmeans8) + 1 == kSchemeTraits.size(), "a Scheme without traits");

constexpr int64_t kMaxDim = int64_t{1} << 40;

Error no_encoding(const SchemeTraits& t, int64_t rows, int64_t cols, const std::string& rule) {
  return Error(ErrorCode::kInvalidFile, std::string(t.name) + " cannot encode [" + std::to_string(rows) + ", " +
                                            std::to_string(cols) + "]: " + rule);
}

uint64_t scale_count(const SchemeTraits& t, int64_t rows, int64_t cols, const QuantParams& params) {
  if (t.family == SchemeFamily::kAbsmax) {
    if (params.per_tensor) return 1;
    const int64_t blocks = params.block_size > 0 ? (cols + params.block_size - 1) / params.block_size : 1;
    return static_cast<uint64_t>(rows) * static_cast<uint64_t>(blocks);
  }
  if (t.family == SchemeFamily::kKmeans && params.per_channel_scale) return static_cast<uint64_t>(rows);
  return 0;
}

}  // namespace

const SchemeTraits& scheme_traits(Scheme scheme) {
  const size_t index = static_cast<size_t>(scheme);
  HFB_CHECK(index < kSchemeTraits.size());
  return kSchemeTraits[index];
}

const SchemeTraits* find_scheme_traits(std::string_view name) {
  for (const SchemeTraits& t : kSchemeTraits) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string scheme_name_list(std::string_view separator) {
  std::string out;
  for (const SchemeTraits& t : kSchemeTraits) out += (out.empty() ? "" : std::string(separator)) + std::string(t.name);
  return out;
}

int64_t scheme_row_bytes(const SchemeTraits& traits, int64_t cols) {
  if (traits.block_bytes > 0) return cols / traits.block_size * traits.block_bytes;
  return (cols * traits.code_bits + 7) / 8;
}

Result<EncodedPartSizes> encoded_part_sizes(Scheme scheme, int64_t rows, int64_t cols, const QuantParams& params) {
  const SchemeTraits& t = scheme_traits(scheme);
  if (rows <= 0 || cols <= 0 || rows > kMaxDim || cols > kMaxDim) return no_encoding(t, rows, cols, "empty or too large");
  if (cols % t.block_size != 0) {
    return no_encoding(t, rows, cols, "the row length must be a multiple of " + std::to_string(t.block_size));
  }
  if (t.family == SchemeFamily::kAbsmax && params.block_size < 0) return no_encoding(t, rows, cols, "block size < 0");
  if (t.family == SchemeFamily::kKmeans && params.group_size < 1) return no_encoding(t, rows, cols, "group size < 1");
  EncodedPartSizes out;
  out.codes = static_cast<uint64_t>(rows) * static_cast<uint64_t>(scheme_row_bytes(t, cols));
  out.scales = scale_count(t, rows, cols, params) * (params.f32_scales ? 4u : 2u);
  if (t.family == SchemeFamily::kKmeans) {
    const int64_t groups = (rows + params.group_size - 1) / params.group_size;
    out.lut_entries = static_cast<uint64_t>(groups) * static_cast<uint64_t>(t.lut_size);
  }
  return out;
}

}  // namespace hfb
