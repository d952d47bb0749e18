// Validation of manifest.pb without the files: version, files, tensors, segments, chunks (after gguf.cpp:
// every count and size is checked before it is trusted).
#include "readers/bundle/bundle_manifest.h"

#include <algorithm>
#include <set>

#include "core/checked_math.h"
#include "core/dtype.h"
#include "core/role.h"
#include "core/shape.h"
#include "formats/bundle_format.h"
#include "quant/policy.h"
#include "quant/scheme_traits.h"

namespace hfb {
namespace {

Error invalid(const std::string& path, const std::string& message) {
  return Error(ErrorCode::kInvalidFile, message).with_path(path);
}

Error unsupported(const std::string& path, const std::string& tensor, const std::string& message) {
  return Error(ErrorCode::kUnsupported, message).with_path(path).with_tensor(tensor);
}

bool valid_entry_name(const std::string& name) {
  if (name.empty() || name.size() > 255 || name[0] == '.' || name == kBundleManifestName) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

bool tower_known(const std::string& name) {
  for (Tower t : {Tower::kText, Tower::kAudio, Tower::kVision}) {
    if (tower_name(t) == name) return true;
  }
  return false;
}

Status check_version(const bundle::Manifest& m, const std::string& path) {
  if (m.magic() != kBundleMagic) {
    return invalid(path, "not an hfbundle manifest (magic '" + m.magic().substr(0, 32) + "', expected '" +
                             kBundleMagic + "'; wrong file or corrupt bundle?)");
  }
  const uint32_t major = m.version().major(), minor = m.version().minor();
  const std::string got = std::to_string(major) + "." + std::to_string(minor);
  if (major > kBundleFormatMajor) {
    return Error(ErrorCode::kUnsupported, "bundle format " + got + " is newer than this reader supports (" +
                                              std::to_string(kBundleFormatMajor) + ".x); upgrade hfbundle")
        .with_path(path);
  }
  if (major == 0) return invalid(path, "bundle format version " + got + " is not a released version");
  const uint32_t a = m.alignment();
  if (a < kBundleAlignment || a > (1u << 20) || (a & (a - 1)) != 0) {
    return invalid(path, "alignment " + std::to_string(a) + " is not a power of two in 64..1 MiB");
  }
  return ok_status();
}

Status check_files(const bundle::Manifest& m, const std::string& path, const BundleLimits& limits) {
  if (static_cast<uint64_t>(m.files_size()) > limits.max_files) {
    return Error(ErrorCode::kLimit, std::to_string(m.files_size()) + " files exceed the limit of " +
                                        std::to_string(limits.max_files)).with_path(path);
  }
  std::set<std::string> names;
  for (const bundle::File& f : m.files()) {
    const std::string what = "file '" + f.name().substr(0, 64) + "'";
    if (!valid_entry_name(f.name())) return invalid(path, what + ": bad name (want [A-Za-z0-9._-], not hidden)");
    if (!names.insert(f.name()).second) return invalid(path, what + " listed twice");
    if (!bundle::FileKind_IsValid(f.kind())) return invalid(path, what + ": unknown kind " + std::to_string(f.kind()));
    if (f.raw_size() > limits.max_file_bytes || f.stored_size() > limits.max_file_bytes) {
      return Error(ErrorCode::kLimit, what + ": size beyond the limit of " + std::to_string(limits.max_file_bytes))
          .with_path(path);
    }
    if (f.compression() == bundle::COMPRESSION_NONE) {
      if (f.stored_size() != f.raw_size()) {
        return invalid(path, what + ": uncompressed but stored size " + std::to_string(f.stored_size()) +
                                 " != raw size " + std::to_string(f.raw_size()));
      }
    } else if (f.compression() != bundle::COMPRESSION_ZSTD) {
      return Error(ErrorCode::kUnsupported, what + ": unknown compression " + std::to_string(f.compression()))
          .with_path(path);
    }
  }
  return ok_status();
}

const bundle::File* find_file(const bundle::Manifest& m, const std::string& name) {
  for (const bundle::File& f : m.files()) {
    if (f.name() == name) return &f;
  }
  return nullptr;
}

Status check_segment(const bundle::Manifest& m, const bundle::Segment& s, const std::string& path,
                     const std::string& tensor) {
  const bundle::File* file = find_file(m, s.file());
  if (file == nullptr || file->kind() == bundle::FILE_CONFIG) {
    return invalid(path, "segment '" + s.part() + "' refers to unknown data file '" + s.file().substr(0, 64) + "'")
        .with_tensor(tensor);
  }
  const std::string where = "segment '" + s.part() + "' at offset " + std::to_string(s.offset()) + " in '" +
                            s.file() + "'";
  if (s.offset() % m.alignment() != 0) {
    return invalid(path, where + " is not " + std::to_string(m.alignment()) + "-byte aligned")
        .with_tensor(tensor).with_offset(s.offset());
  }
  const auto end = checked_add(s.offset(), s.length());
  if (!end || *end > file->raw_size()) {
    return invalid(path, where + " with length " + std::to_string(s.length()) + " ends past the file's " +
                             std::to_string(file->raw_size()) + " bytes")
        .with_tensor(tensor).with_offset(s.offset());
  }
  return ok_status();
}

/// The stored params of a scheme tensor as the decoder uses them (group size capped at the rows).
QuantParams stored_params(const bundle::Encoding& e, int64_t rows) {
  QuantParams p;
  p.block_size = e.block_size();
  p.group_size = e.group_size() > 0 && !e.per_tensor() ? std::min<int64_t>(e.group_size(), rows) : rows;
  p.per_tensor = e.per_tensor();
  p.f32_scales = e.scale_dtype() == "F32";
  p.per_channel_scale = e.per_channel_scale();
  return p;
}

/// Every part of a scheme tensor has the size the scheme traits give for its shape and params.
Status check_part_sizes(const bundle::Tensor& t, const SchemeTraits& traits, const std::string& path,
                        const Shape& shape) {
  const auto [rows, cols] = matrix_view(shape);
  auto expected = encoded_part_sizes(traits.scheme, rows, cols, stored_params(t.encoding(), rows));
  if (!expected.ok()) {
    return invalid(path, "shape " + shape.to_string() + " disagrees with its encoding: " + expected.error().message)
        .with_tensor(t.name());
  }
  uint64_t codes = 0, scales = 0, lut = 0;
  for (const bundle::Segment& s : t.segments()) {
    uint64_t* part = s.part() == "codes" ? &codes : s.part() == "scales" ? &scales : s.part() == "lut" ? &lut : nullptr;
    if (!part) return invalid(path, "unknown segment part '" + s.part().substr(0, 32) + "'").with_tensor(t.name());
    *part += s.length();
  }
  const std::pair<const char*, std::pair<uint64_t, uint64_t>> checks[] = {
      {"codes", {codes, expected->codes}}, {"scales", {scales, expected->scales}},
      {"lut", {lut, expected->lut_entries * sizeof(float)}}};
  for (const auto& [part, sizes] : checks) {
    if (sizes.first != sizes.second) {
      return invalid(path, std::string(part) + " segment is " + std::to_string(sizes.first) + " bytes, expected " +
                               std::to_string(sizes.second) + " (" + std::string(traits.name) + " " +
                               shape.to_string() + ")")
          .with_tensor(t.name());
    }
  }
  return ok_status();
}

Status check_encoding(const bundle::Tensor& t, const std::string& path, const Shape& shape) {
  const std::string& scheme = t.encoding().scheme();
  if (scheme.empty()) {
    const auto dtype = DType::from_name(t.dtype());
    const auto bytes = shape.num_bytes(*dtype);
    if (!bytes) {
      return invalid(path, "shape " + shape.to_string() + " is not whole " + t.dtype() + " blocks").with_tensor(t.name());
    }
    if (t.segments_size() != 1 || t.segments(0).part() != "data") {
      return invalid(path, "plain tensor needs exactly one 'data' segment").with_tensor(t.name());
    }
    if (t.segments(0).length() != *bytes) {
      return invalid(path, "data segment is " + std::to_string(t.segments(0).length()) + " bytes, expected " +
                               std::to_string(*bytes) + " (" + t.dtype() + " " + shape.to_string() + ")")
          .with_tensor(t.name());
    }
    return ok_status();
  }
  const SchemeTraits* traits = find_scheme_traits(scheme);
  if (!traits) {
    return unsupported(path, t.name(), "unknown quantization scheme '" + scheme.substr(0, 64) + "' (known: " +
                                           scheme_name_list(" ") + "; written by a newer hfbundle?)");
  }
  const std::string& sd = t.encoding().scale_dtype();
  if (!sd.empty() && sd != "F16" && sd != "F32") {
    return unsupported(path, t.name(), "unknown scale dtype '" + sd.substr(0, 32) + "'");
  }
  return check_part_sizes(t, *traits, path, shape);
}

Status check_tensor(const bundle::Manifest& m, const bundle::Tensor& t, const std::string& path,
                    const BundleReadOptions& options) {
  const std::string& name = t.name();
  if (name.empty()) return invalid(path, "tensor with an empty name");
  if (!role_from_name(t.role())) return unsupported(path, name, "unknown role '" + t.role().substr(0, 64) + "'");
  if (!tower_known(t.tower())) return unsupported(path, name, "unknown tower '" + t.tower().substr(0, 64) + "'");
  if (!DType::from_name(t.dtype())) return unsupported(path, name, "unknown dtype '" + t.dtype().substr(0, 32) + "'");
  if (static_cast<uint32_t>(t.shape_size()) > options.limits.max_rank) {
    return Error(ErrorCode::kLimit, "rank " + std::to_string(t.shape_size()) + " beyond the limit of " +
                                        std::to_string(options.limits.max_rank))
        .with_path(path)
        .with_tensor(name);
  }
  const Shape shape(std::vector<int64_t>(t.shape().begin(), t.shape().end()));
  if (!shape.num_elements()) {
    return invalid(path, "shape " + shape.to_string() + " is negative or overflows").with_tensor(name);
  }
  if (t.segments_size() == 0 || static_cast<uint32_t>(t.segments_size()) > options.limits.max_segments) {
    return invalid(path, std::to_string(t.segments_size()) + " segments (want 1.." +
                             std::to_string(options.limits.max_segments) + ")").with_tensor(name);
  }
  std::set<std::string> parts;
  for (const bundle::Segment& s : t.segments()) {
    if (s.part().empty() || !parts.insert(s.part()).second) {
      return invalid(path, "empty or duplicate segment part").with_tensor(name);
    }
    HFB_TRY(check_segment(m, s, path, name));
  }
  return check_encoding(t, path, shape);
}

Status check_tensors_and_chunks(const bundle::Manifest& m, const std::string& path,
                                const BundleReadOptions& options) {
  if (static_cast<uint64_t>(m.tensors_size()) > options.limits.max_tensors) {
    return Error(ErrorCode::kLimit, std::to_string(m.tensors_size()) + " tensors exceed the limit").with_path(path);
  }
  std::set<std::string> chunks;
  for (const bundle::Chunk& c : m.chunks()) {
    if (c.name().empty() || !chunks.insert(c.name()).second) {
      return invalid(path, "empty or duplicate chunk name '" + c.name().substr(0, 64) + "'");
    }
    if (!c.file().empty() && find_file(m, c.file()) == nullptr) {
      return invalid(path, "chunk '" + c.name() + "' refers to unknown file '" + c.file().substr(0, 64) + "'");
    }
  }
  std::set<std::string> names;
  for (const bundle::Tensor& t : m.tensors()) {
    HFB_TRY(check_tensor(m, t, path, options));
    if (!names.insert(t.name()).second) return invalid(path, "tensor listed twice").with_tensor(t.name());
    if (!t.chunk().empty() && chunks.count(t.chunk()) == 0) {
      return invalid(path, "unknown chunk '" + t.chunk().substr(0, 64) + "'").with_tensor(t.name());
    }
  }
  return ok_status();
}

}  // namespace

Status validate_bundle_manifest(const bundle::Manifest& manifest, const std::string& path,
                                const BundleReadOptions& options) {
  HFB_TRY(check_version(manifest, path));
  HFB_TRY(check_files(manifest, path, options.limits));
  return check_tensors_and_chunks(manifest, path, options);
}

Result<std::unique_ptr<bundle::Manifest>> parse_bundle_manifest(ByteSpan bytes, const std::string& path,
                                                               const BundleReadOptions& options) {
  if (bytes.size > options.limits.max_manifest_bytes || bytes.size > static_cast<uint64_t>(INT32_MAX)) {
    return Error(ErrorCode::kLimit, "manifest of " + std::to_string(bytes.size) + " bytes exceeds the limit of " +
                                        std::to_string(options.limits.max_manifest_bytes)).with_path(path);
  }
  auto manifest = std::make_unique<bundle::Manifest>();
  if (!manifest->ParseFromArray(bytes.data, static_cast<int>(bytes.size))) {
    return invalid(path, "manifest is not a valid protobuf message (truncated or corrupt bundle?)");
  }
  HFB_TRY(validate_bundle_manifest(*manifest, path, options));
  return manifest;
}

}  // namespace hfb
