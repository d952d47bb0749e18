// BundleWriter for bundles that rewrite some files only (requant): files of an existing bundle linked in
// unchanged, their tensor records kept, and tensors whose bytes are copied into a rewritten file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "formats/bundle_format.h"
#include "writers/bundle_writer.h"
#include "writers/bundle_writer_internal.h"

namespace hfb {
namespace {

constexpr size_t kCopyBlock = 1u << 20;

Error io_error(const std::string& what, const std::string& path) {
  return Error(ErrorCode::kIo, what + ": " + std::strerror(errno)).with_path(path);
}

Status write_all(int fd, const uint8_t* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("write failed", path);
    data += n;
    size -= static_cast<size_t>(n);
  }
  return ok_status();
}

// A plain copy, for when a hard link is refused (another file system, no link support).
Status copy_plain(const std::string& src, const std::string& dst) {
  const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (in < 0) return io_error("cannot open", src);
  const int out = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) {
    ::close(in);
    return io_error("cannot create", dst);
  }
  std::vector<uint8_t> buf(kCopyBlock);
  Status status = ok_status();
  for (;;) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = io_error("read failed", src);
    if (n <= 0) break;
    status = write_all(out, buf.data(), static_cast<size_t>(n), dst);
    if (!status.ok()) break;
  }
  if (status.ok() && ::fsync(out) != 0) status = io_error("fsync failed", dst);
  ::close(in);
  if (::close(out) != 0 && status.ok()) status = io_error("close failed", dst);
  return status;
}

std::string raw_name_of(const bundle::File& entry) {
  const std::string zst = kBundleZstdSuffix;
  const std::string& name = entry.name();
  if (entry.compression() == bundle::COMPRESSION_ZSTD && name.size() > zst.size() &&
      name.compare(name.size() - zst.size(), zst.size(), zst) == 0) {
    return name.substr(0, name.size() - zst.size());
  }
  return name;
}

/// Whether `record` may start now: no tensor open, a non-empty name not written yet.
Status check_record_slot(int open_tensor, const std::map<std::string, size_t>& index, const bundle::Tensor& record,
                         const char* what) {
  if (open_tensor < 0 && !record.name().empty() && index.count(record.name()) == 0) return ok_status();
  return Error(ErrorCode::kInvalidArgument, std::string(what) + ": a tensor is open or the name is a duplicate")
      .with_tensor(record.name());
}

}  // namespace

Status BundleWriter::place_file(const std::string& src_path, const std::string& dst_path) {
  if (::link(src_path.c_str(), dst_path.c_str()) == 0) return ok_status();
  if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP) {
    return io_error("cannot link into " + dst_path, src_path);
  }
  return copy_plain(src_path, dst_path);
}

Status BundleWriter::link_file(const std::string& src_path, const bundle::File& entry) {
  HFB_TRY(check_usable());
  const std::string raw = raw_name_of(entry);
  const bool bad_name = entry.name().empty() || entry.name()[0] == '.' || entry.name().find('/') != std::string::npos ||
                        entry.name() == kBundleManifestName;
  if (bad_name || file_index_.count(raw) != 0) {
    return fail(Error(ErrorCode::kInvalidArgument, "bad or duplicate bundle file '" + entry.name() + "'"));
  }
  Status placed = place_file(src_path, tmp_dir_ + "/" + entry.name());
  if (!placed.ok()) return fail(std::move(placed).error());
  auto file = std::make_unique<DataFile>();
  file->name = raw;
  file->stored_name = entry.name();
  file->kind = entry.kind();
  file->closed = true;
  file->linked = true;
  file->size = entry.raw_size();
  file->zstd_level = entry.zstd_level();
  file->stored_size = entry.stored_size();
  file->stored_xxh3 = entry.stored_xxh3();
  file_index_[raw] = files_.size();
  files_.push_back(std::move(file));
  return ok_status();
}

Status BundleWriter::add_tensor_record(const bundle::Tensor& record) {
  HFB_TRY(check_usable());
  Status slot = check_record_slot(open_tensor_, tensor_index_, record, "add_tensor_record");
  if (!slot.ok()) return fail(std::move(slot).error());
  for (const bundle::Segment& segment : record.segments()) {
    bool linked = false;
    for (const auto& file : files_) linked = linked || (file->linked && file->stored_name == segment.file());
    if (!linked) {
      return fail(Error(ErrorCode::kInvalidArgument, "add_tensor_record: segment file '" + segment.file() +
                                                         "' was not added with link_file")
                      .with_tensor(record.name()));
    }
  }
  *manifest_->add_tensors() = record;
  tensor_index_[record.name()] = static_cast<size_t>(manifest_->tensors_size() - 1);
  return ok_status();
}

Status BundleWriter::begin_tensor_like(const bundle::Tensor& record) {
  HFB_TRY(check_usable());
  Status slot = check_record_slot(open_tensor_, tensor_index_, record, "begin_tensor_like");
  if (!slot.ok()) return fail(std::move(slot).error());
  bundle::Tensor* t = manifest_->add_tensors();
  *t = record;
  t->clear_segments();
  open_tensor_ = manifest_->tensors_size() - 1;
  tensor_index_[record.name()] = static_cast<size_t>(open_tensor_);
  return ok_status();
}

}  // namespace hfb
