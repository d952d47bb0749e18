// encode_imatrix: the .imatrix layout (docs/formats/imatrix.md), little-endian, body checksummed.
#include "writers/imatrix_writer.h"

#include <xxhash.h>

#include <cstdint>
#include <cstring>

#include "formats/imatrix_format.h"

namespace hfb {
namespace {

template <typename T>
void put(std::string* out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // the project targets little-endian hosts (formats/bundle_format.h)
  out->append(bytes, sizeof(T));
}

}  // namespace

std::string encode_imatrix(const ImportanceMatrix& imatrix) {
  std::string body;
  for (const auto& [name, entry] : imatrix.entries) {
    put<uint32_t>(&body, static_cast<uint32_t>(name.size()));
    body += name;
    put<uint64_t>(&body, static_cast<uint64_t>(entry.count));
    put<uint64_t>(&body, static_cast<uint64_t>(entry.sum_squares.size()));
    for (double v : entry.sum_squares) put<double>(&body, v);
  }
  std::string out(kImatrixMagic, sizeof(kImatrixMagic));
  put<uint32_t>(&out, kImatrixVersion);
  put<uint32_t>(&out, kImatrixHeaderBytes);
  put<uint64_t>(&out, static_cast<uint64_t>(imatrix.entries.size()));
  put<uint64_t>(&out, static_cast<uint64_t>(imatrix.sequences));
  put<uint64_t>(&out, static_cast<uint64_t>(imatrix.tokens));
  put<uint64_t>(&out, XXH3_64bits(body.data(), body.size()));
  return out + body;
}

}  // namespace hfb
