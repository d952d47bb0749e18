// parse_imatrix: the .imatrix layout checked field by field before anything is allocated (gguf.cpp style).
#include "readers/imatrix_reader.h"

#include <xxhash.h>

#include <cmath>
#include <cstring>

#include "core/byte_source.h"
#include "formats/imatrix_format.h"

namespace hfb {
namespace {

/// A cursor over the file's bytes; every read checks the bytes left.
class Cursor {
 public:
  explicit Cursor(const std::string& bytes) : bytes_(bytes) {}
  uint64_t at() const { return at_; }
  uint64_t left() const { return bytes_.size() - at_; }
  void seek(uint64_t at) { at_ = at; }
  template <typename T>
  Result<T> get(const char* what) {
    if (left() < sizeof(T)) return truncated(what);
    T value;
    std::memcpy(&value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  Result<std::string> get_string(uint64_t size, const char* what) {
    if (left() < size) return truncated(what);
    std::string out = bytes_.substr(at_, size);
    at_ += size;
    return out;
  }
  Error error(const std::string& message) const {
    return Error(ErrorCode::kInvalidFile, "imatrix: " + message).with_offset(at_);
  }

 private:
  Error truncated(const char* what) const {
    return error(std::string("truncated ") + what + ": " + std::to_string(left()) + " bytes left" +
                 " (an incomplete copy?)");
  }
  const std::string& bytes_;
  uint64_t at_ = 0;
};

struct Header {
  uint64_t entries = 0, sequences = 0, tokens = 0, body_hash = 0;
};

Result<Header> parse_header(Cursor* in) {
  HFB_TRY(std::string magic, in->get_string(sizeof(kImatrixMagic), "magic"));
  if (std::memcmp(magic.data(), kImatrixMagic, sizeof(kImatrixMagic)) != 0) {
    in->seek(0);
    return in->error("not an imatrix file (magic is not \"HFBIMTX\")");
  }
  HFB_TRY(uint32_t version, in->get<uint32_t>("version"));
  if (version == 0 || version > kImatrixVersion) {
    return Error(ErrorCode::kUnsupported, "imatrix: version " + std::to_string(version) + ", this build reads 1.." +
                                              std::to_string(kImatrixVersion) + " (written by a newer hfbundle?)");
  }
  HFB_TRY(uint32_t header_bytes, in->get<uint32_t>("header_bytes"));
  Header h;
  HFB_TRY(h.entries, in->get<uint64_t>("entry count"));
  HFB_TRY(h.sequences, in->get<uint64_t>("sequences"));
  HFB_TRY(h.tokens, in->get<uint64_t>("tokens"));
  HFB_TRY(h.body_hash, in->get<uint64_t>("body checksum"));
  if (header_bytes < kImatrixHeaderBytes || header_bytes > in->at() + in->left()) {
    return in->error("header_bytes " + std::to_string(header_bytes) + ", expected " +
                     std::to_string(kImatrixHeaderBytes) + " up to the file size");
  }
  if (h.sequences > (1ull << 62) || h.tokens > (1ull << 62)) return in->error("sequence or token count out of range");
  in->seek(header_bytes);
  return h;
}

Status parse_entry(Cursor* in, const std::string& previous, ImportanceMatrix* out) {
  HFB_TRY(uint32_t name_bytes, in->get<uint32_t>("entry name length"));
  if (name_bytes == 0 || name_bytes > kImatrixMaxNameBytes) {
    return in->error("entry name of " + std::to_string(name_bytes) + " bytes, expected 1.." +
                     std::to_string(kImatrixMaxNameBytes));
  }
  HFB_TRY(std::string name, in->get_string(name_bytes, "entry name"));
  if (!previous.empty() && !(previous < name)) {
    return in->error("entry '" + name + "' after '" + previous + "': names must be unique and ascending");
  }
  HFB_TRY(uint64_t count, in->get<uint64_t>("entry row count"));
  HFB_TRY(uint64_t cols, in->get<uint64_t>("entry column count"));
  if (cols == 0 || cols > in->left() / sizeof(double)) {
    return in->error("entry '" + name + "': " + std::to_string(cols) + " columns, " + std::to_string(in->left()) +
                     " bytes left (expected 8 per column, at least one)");
  }
  if (count > (1ull << 62)) return in->error("entry '" + name + "': row count out of range");
  ImatrixEntry entry;
  entry.count = static_cast<int64_t>(count);
  entry.sum_squares.resize(cols);
  for (uint64_t c = 0; c < cols; ++c) {
    HFB_TRY(double v, in->get<double>("sums"));
    if (!std::isfinite(v) || v < 0) {
      return in->error("entry '" + name + "': column " + std::to_string(c) + " sum " + std::to_string(v) +
                       " (expected finite and >= 0)");
    }
    entry.sum_squares[c] = v;
  }
  out->entries.emplace(std::move(name), std::move(entry));
  return ok_status();
}

}  // namespace

Result<ImportanceMatrix> parse_imatrix(const std::string& bytes) {
  Cursor in(bytes);
  HFB_TRY(Header header, parse_header(&in));
  const uint64_t body_at = in.at();
  constexpr uint64_t kMinEntryBytes = 4 + 1 + 8 + 8 + 8;
  if (header.entries > in.left() / kMinEntryBytes) {
    return Error(ErrorCode::kLimit, "imatrix: " + std::to_string(header.entries) + " entries cannot fit in " +
                                        std::to_string(in.left()) + " bytes")
        .with_offset(16);
  }
  const uint64_t hash = XXH3_64bits(bytes.data() + body_at, bytes.size() - body_at);
  if (hash != header.body_hash) {
    return Error(ErrorCode::kInvalidFile, "imatrix: body checksum mismatch (a corrupt or edited file?)")
        .with_offset(40);
  }
  ImportanceMatrix out;
  out.sequences = static_cast<int64_t>(header.sequences);
  out.tokens = static_cast<int64_t>(header.tokens);
  std::string previous;
  for (uint64_t i = 0; i < header.entries; ++i) {
    HFB_TRY(parse_entry(&in, previous, &out));
    previous = out.entries.rbegin()->first;
  }
  if (in.left() != 0) return in.error(std::to_string(in.left()) + " trailing bytes after the last entry");
  return out;
}

Result<ImportanceMatrix> read_imatrix(const std::string& path) {
  HFB_TRY(std::string bytes, read_small_file(path, kMaxImatrixFileBytes, "imatrix_file_bytes"));
  auto parsed = parse_imatrix(bytes);
  if (!parsed.ok()) return std::move(parsed).error().with_path(path);
  return parsed;
}

}  // namespace hfb
