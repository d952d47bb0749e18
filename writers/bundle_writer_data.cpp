// BundleWriter data path: data files, tensors and segments streamed with 64-byte alignment and XXH3-64,
// zstd streamed as bytes are appended (no raw copy on disk), and verbatim copies of config files.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/checked_math.h"
#include "formats/bundle_format.h"
#include "writers/bundle_writer.h"
#include "writers/bundle_writer_internal.h"

// Returns the error of `expr` after failing the writer (temp directory removed).
#define HFB_WRITER_TRY(expr)                                          \
  do {                                                                \
    auto&& hfb_writer_r_ = (expr);                                    \
    if (!hfb_writer_r_.ok()) return fail(std::move(hfb_writer_r_).error()); \
  } while (0)

namespace hfb {
namespace {

constexpr size_t kMaxEntryName = 128;
constexpr size_t kCopyBlock = 1u << 20;

// Entry names are plain, portable, never hidden, never the manifest, never ending in the zstd suffix.
Status check_entry_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxEntryName && name[0] != '.' && name != kBundleManifestName;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                c == '_' || c == '-');
  }
  const std::string zst = kBundleZstdSuffix;
  if (name.size() >= zst.size() && name.compare(name.size() - zst.size(), zst.size(), zst) == 0) ok = false;
  if (!ok) {
    return Error(ErrorCode::kInvalidArgument, "bad bundle entry name '" + name +
                                                  "' (want [A-Za-z0-9._-], not hidden, not manifest.pb, no .zst)");
  }
  return ok_status();
}

bundle::FileKind file_kind_to_proto(BundleFileKind kind) {
  switch (kind) {
    case BundleFileKind::kChunk: return bundle::FILE_CHUNK;
    case BundleFileKind::kEmbedding: return bundle::FILE_EMBEDDING;
    case BundleFileKind::kPle: return bundle::FILE_PLE;
    case BundleFileKind::kHead: return bundle::FILE_HEAD;
  }
  return bundle::FILE_CHUNK;
}

Error tensor_error(const std::string& tensor, const std::string& message) {
  return Error(ErrorCode::kInvalidArgument, message).with_tensor(tensor);
}

}  // namespace

Status BundleWriter::add_file(const std::string& name, BundleFileKind kind) {
  return add_data_file(name, file_kind_to_proto(kind));
}

Status BundleWriter::add_data_file(const std::string& name, int kind) {
  HFB_TRY(check_usable());
  HFB_WRITER_TRY(check_entry_name(name));
  if (file_index_.count(name) != 0) {
    return fail(Error(ErrorCode::kInvalidArgument, "duplicate bundle file '" + name + "'"));
  }
  auto file = std::make_unique<DataFile>();
  file->name = name;
  file->stored_name = name;
  file->kind = static_cast<bundle::FileKind>(kind);
  const bool compress = options_.zstd_level > 0 && file->kind != bundle::FILE_CONFIG;
  if (compress) file->stored_name = name + kBundleZstdSuffix;
  const std::string path = tmp_dir_ + "/" + file->stored_name;
  auto sink = options_.sink_factory(path);
  if (!sink.ok()) return fail(std::move(sink).error());
  file->sink = std::move(sink).value();
  if (compress) {
    auto zstd = ZstdSink::create(std::move(file->sink), path, options_.zstd_level);
    if (!zstd.ok()) return fail(std::move(zstd).error());
    file->zstd = zstd->get();
    file->zstd_level = options_.zstd_level;
    file->sink = std::move(zstd).value();
  }
  file_index_[name] = files_.size();
  files_.push_back(std::move(file));
  return ok_status();
}

Result<BundleWriter::DataFile*> BundleWriter::find_open_file(const std::string& name) {
  auto it = file_index_.find(name);
  if (it == file_index_.end()) {
    return Error(ErrorCode::kInvalidArgument, "bundle file '" + name + "' was not declared with add_file");
  }
  DataFile* file = files_[it->second].get();
  if (file->closed || !file->sink) {
    return Error(ErrorCode::kInvalidArgument, "bundle file '" + name + "' is already complete");
  }
  return file;
}

Status BundleWriter::write_to(DataFile& file, const uint8_t* data, uint64_t size) {
  HFB_TRY(file.sink->write(data, size));
  XXH3_64bits_update(file.hash.get(), data, size);
  file.size += size;
  return ok_status();
}

Status BundleWriter::pad_to_alignment(DataFile& file) {
  static const uint8_t kZeros[kBundleAlignment] = {};
  const uint64_t pad = (kBundleAlignment - file.size % kBundleAlignment) % kBundleAlignment;
  return write_to(file, kZeros, pad);
}

Status BundleWriter::begin_tensor(const BundleTensorMeta& meta) {
  HFB_TRY(check_usable());
  if (open_tensor_ >= 0) return fail(tensor_error(meta.name, "begin_tensor while another tensor is open"));
  if (meta.name.empty() || tensor_index_.count(meta.name) != 0) {
    return fail(tensor_error(meta.name, "empty or duplicate tensor name"));
  }
  if (!meta.shape.num_elements() || (meta.scheme.empty() && !meta.shape.num_bytes(meta.dtype))) {
    return fail(tensor_error(meta.name, "shape " + meta.shape.to_string() + " is invalid for " +
                                            std::string(meta.dtype.name())));
  }
  bundle::Tensor* t = manifest_->add_tensors();
  t->set_name(meta.name);
  t->set_role(std::string(role_name(meta.role)));
  t->set_tower(std::string(tower_name(meta.tower)));
  t->set_layer(meta.layer);
  t->set_chunk(meta.chunk);
  t->set_dtype(std::string(meta.dtype.name()));
  for (int64_t d : meta.shape.dims()) t->add_shape(d);
  if (!meta.scheme.empty()) {
    bundle::Encoding* e = t->mutable_encoding();
    e->set_scheme(meta.scheme);
    e->set_group_size(meta.group_size);
    e->set_block_size(meta.block_size);
    e->set_scale_dtype(meta.scale_dtype);
    e->set_per_tensor(meta.per_tensor);
    e->set_per_channel_scale(meta.per_channel_scale);
  }
  open_tensor_ = manifest_->tensors_size() - 1;
  tensor_index_[meta.name] = static_cast<size_t>(open_tensor_);
  return ok_status();
}

Status BundleWriter::begin_segment(const std::string& part, const std::string& file_name) {
  HFB_TRY(check_usable());
  if (open_tensor_ < 0 || segment_) return fail(Error(ErrorCode::kInvalidArgument, "begin_segment out of order"));
  bundle::Tensor* t = manifest_->mutable_tensors(open_tensor_);
  const bool plain = t->encoding().scheme().empty();
  if (part.empty() || (plain && (part != "data" || t->segments_size() != 0))) {
    return fail(tensor_error(t->name(), "plain tensors have exactly one 'data' segment, got part '" + part + "'"));
  }
  for (const bundle::Segment& s : t->segments()) {
    if (s.part() == part) return fail(tensor_error(t->name(), "duplicate segment part '" + part + "'"));
  }
  auto file = find_open_file(file_name);
  if (!file.ok()) return fail(std::move(file).error().with_tensor(t->name()));
  HFB_WRITER_TRY(pad_to_alignment(**file));
  bundle::Segment* segment = t->add_segments();
  segment->set_part(part);
  segment->set_file(file_name);
  segment->set_offset((*file)->size);
  segment_ = std::make_unique<OpenSegment>();
  segment_->file = *file;
  segment_->segment_index = t->segments_size() - 1;
  return ok_status();
}

Status BundleWriter::append(ByteSpan bytes) {
  HFB_TRY(check_usable());
  if (!segment_) return fail(Error(ErrorCode::kInvalidArgument, "append without an open segment"));
  HFB_WRITER_TRY(write_to(*segment_->file, bytes.data, bytes.size));
  XXH3_64bits_update(segment_->hash.get(), bytes.data, bytes.size);
  segment_->length += bytes.size;
  return ok_status();
}

Status BundleWriter::end_segment() {
  HFB_TRY(check_usable());
  if (!segment_) return fail(Error(ErrorCode::kInvalidArgument, "end_segment without an open segment"));
  bundle::Segment* s = manifest_->mutable_tensors(open_tensor_)->mutable_segments(segment_->segment_index);
  s->set_length(segment_->length);
  s->set_xxh3(XXH3_64bits_digest(segment_->hash.get()));
  segment_.reset();
  return ok_status();
}

Status BundleWriter::end_tensor() {
  HFB_TRY(check_usable());
  if (open_tensor_ < 0 || segment_) return fail(Error(ErrorCode::kInvalidArgument, "end_tensor out of order"));
  const bundle::Tensor& t = manifest_->tensors(open_tensor_);
  if (t.segments_size() == 0) return fail(tensor_error(t.name(), "tensor has no segments"));
  if (t.encoding().scheme().empty()) {
    auto dtype = DType::from_name(t.dtype());
    std::vector<int64_t> dims(t.shape().begin(), t.shape().end());
    const auto expected = Shape(dims).num_bytes(*dtype);
    if (!expected || *expected != t.segments(0).length()) {
      return fail(tensor_error(t.name(), "wrote " + std::to_string(t.segments(0).length()) + " bytes, expected " +
                                             std::to_string(expected.value_or(0)) + " (" + t.dtype() + " " +
                                             Shape(dims).to_string() + ")"));
    }
  }
  open_tensor_ = -1;
  return ok_status();
}

Status BundleWriter::write_tensor(const BundleTensorMeta& meta, const std::string& file, ByteSpan bytes) {
  HFB_TRY(begin_tensor(meta));
  HFB_TRY(begin_segment("data", file));
  HFB_TRY(append(bytes));
  HFB_TRY(end_segment());
  return end_tensor();
}

Status BundleWriter::write_tensor_parts(const BundleTensorMeta& meta, const std::string& file,
                                        const std::vector<std::pair<std::string, ByteSpan>>& parts) {
  HFB_TRY(begin_tensor(meta));
  for (const auto& [part, bytes] : parts) {
    HFB_TRY(begin_segment(part, file));
    HFB_TRY(append(bytes));
    HFB_TRY(end_segment());
  }
  return end_tensor();
}

Status BundleWriter::close_file(const std::string& name) {
  HFB_TRY(check_usable());
  auto found = find_open_file(name);
  if (!found.ok()) return fail(std::move(found).error());
  DataFile& file = **found;
  if (segment_ && segment_->file == &file) {
    return fail(Error(ErrorCode::kInvalidArgument, "close_file while a segment is open in it").with_path(name));
  }
  HFB_WRITER_TRY(file.sink->close());
  file.closed = true;
  file.stored_size = file.size;
  file.stored_xxh3 = XXH3_64bits_digest(file.hash.get());
  if (file.zstd != nullptr) {
    file.stored_size = file.zstd->stored().size;
    file.stored_xxh3 = file.zstd->stored().xxh3;
  }
  file.zstd = nullptr;
  file.sink.reset();
  return ok_status();
}

Status BundleWriter::copy_file(const std::string& src_path, const std::string& name) {
  HFB_TRY(add_data_file(name, bundle::FILE_CONFIG));
  DataFile& file = *files_.back();
  const int fd = ::open(src_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(Error(ErrorCode::kIo, std::string("cannot open: ") + std::strerror(errno)).with_path(src_path));
  }
  std::vector<uint8_t> buf(kCopyBlock);
  Status status = ok_status();
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = Error(ErrorCode::kIo, std::string("read failed: ") + std::strerror(errno)).with_path(src_path);
    if (n <= 0) break;
    status = write_to(file, buf.data(), static_cast<uint64_t>(n));
    if (!status.ok()) break;
  }
  ::close(fd);
  HFB_WRITER_TRY(status);
  return close_file(name);
}

}  // namespace hfb
