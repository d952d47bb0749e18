// GgufWriter: header first (sizes are known from types and shapes), tensor data streamed in declaration order with
// zero padding after each tensor, all into `path.tmp-<pid>`, renamed into place by finish(). serialize_gguf gives
// the same bytes in memory.
#include "writers/gguf_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "writers/gguf_layout.h"

namespace hfb {
namespace {

using gguf_layout::GgufLayout;

constexpr std::array<uint8_t, 256> kZeros{};

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error(ErrorCode::kIo, "gguf: " + what + ": " + std::strerror(err)).with_path(path);
}

/// Flushes a closed file to disk (the sink interface has no fsync).
Status fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot reopen for fsync", path, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("fsync failed", path, err);
  return ok_status();
}

}  // namespace

struct GgufWriter::Impl {
  explicit Impl(uint32_t alignment) : layout(alignment) {}
  GgufLayout layout;
  std::string tmp_path;
  std::unique_ptr<WriteSink> sink;
  SinkFactory sink_factory;
  bool header_written = false;
  bool finished = false;
  size_t current = 0;         ///< index of the tensor receiving bytes
  uint64_t current_done = 0;  ///< bytes of it written so far
  std::string empty;

  Status write_zeros(uint64_t n) {
    while (n > 0) {
      const uint64_t piece = std::min<uint64_t>(n, kZeros.size());
      HFB_TRY(sink->write(kZeros.data(), piece));
      n -= piece;
    }
    return ok_status();
  }
  /// Pads after the tensor whose last byte was just written and moves on to the next one.
  Status complete_current() {
    const auto& slot = layout.tensors()[current];
    HFB_TRY(write_zeros(layout.padding_after(slot.nbytes)));
    ++current;
    current_done = 0;
    return ok_status();
  }
};

GgufWriter::GgufWriter(std::string path, std::unique_ptr<Impl> impl) : path_(std::move(path)), impl_(std::move(impl)) {}

GgufWriter::~GgufWriter() {
  if (impl_ && !impl_->finished && !impl_->tmp_path.empty()) {
    impl_->sink.reset();
    (void)std::remove(impl_->tmp_path.c_str());
  }
}

Result<std::unique_ptr<GgufWriter>> GgufWriter::create(const std::string& path, uint32_t alignment,
                                                       SinkFactory sink_factory) {
  HFB_TRY(GgufLayout::check_alignment(alignment));
  auto impl = std::make_unique<Impl>(alignment);
  impl->sink_factory = sink_factory ? std::move(sink_factory) : SinkFactory(open_file_sink);
  return std::unique_ptr<GgufWriter>(new GgufWriter(path, std::move(impl)));
}

Status GgufWriter::add_metadata(std::string key, gguf::Value value) {
  if (impl_->header_written) return Error(ErrorCode::kInternal, "gguf: add_metadata after write_header");
  return impl_->layout.add_metadata(std::move(key), std::move(value));
}

Status GgufWriter::add_tensor(std::string name, std::vector<int64_t> ne, gguf::GgmlType type) {
  if (impl_->header_written) return Error(ErrorCode::kInternal, "gguf: add_tensor after write_header");
  return impl_->layout.add_tensor(std::move(name), std::move(ne), type);
}

Status GgufWriter::write_header() {
  if (impl_->header_written) return Error(ErrorCode::kInternal, "gguf: write_header called twice");
  impl_->tmp_path = path_ + ".tmp-" + std::to_string(::getpid());
  (void)::unlink(impl_->tmp_path.c_str());  // a leftover of an earlier process with our pid
  HFB_TRY(impl_->sink, impl_->sink_factory(impl_->tmp_path));
  impl_->header_written = true;
  const auto header = impl_->layout.header_bytes();
  return impl_->sink->write(header.data(), header.size());
}

Status GgufWriter::write_tensor_data(const uint8_t* data, uint64_t size) {
  if (!impl_->header_written) return Error(ErrorCode::kInternal, "gguf: write_tensor_data before write_header");
  const auto& tensors = impl_->layout.tensors();
  while (size > 0) {
    if (impl_->current >= tensors.size()) {
      return Error(ErrorCode::kInvalidArgument,
                   "gguf: " + std::to_string(size) + " bytes of tensor data beyond the declared tensors")
          .with_path(path_);
    }
    const auto& slot = tensors[impl_->current];
    const uint64_t piece = std::min(size, slot.nbytes - impl_->current_done);
    HFB_TRY(impl_->sink->write(data, piece));
    data += piece;
    size -= piece;
    impl_->current_done += piece;
    if (impl_->current_done == slot.nbytes) HFB_TRY(impl_->complete_current());
  }
  return ok_status();
}

Status GgufWriter::finish() {
  if (!impl_->header_written) return Error(ErrorCode::kInternal, "gguf: finish before write_header");
  const auto& tensors = impl_->layout.tensors();
  if (impl_->current < tensors.size()) {
    const auto& slot = tensors[impl_->current];
    return Error(ErrorCode::kInternal, "gguf: tensor incomplete at finish: " + std::to_string(impl_->current_done) +
                                           " of " + std::to_string(slot.nbytes) + " bytes written")
        .with_tensor(slot.name)
        .with_path(path_);
  }
  HFB_TRY(impl_->sink->close());
  HFB_TRY(fsync_path(impl_->tmp_path));
  if (::rename(impl_->tmp_path.c_str(), path_.c_str()) != 0) {
    return io_error("cannot rename '" + impl_->tmp_path + "' into place", path_, errno);
  }
  impl_->finished = true;
  return ok_status();
}

const std::string& GgufWriter::current_tensor() const {
  const auto& tensors = impl_->layout.tensors();
  return impl_->current < tensors.size() ? tensors[impl_->current].name : impl_->empty;
}

Result<std::vector<uint8_t>> serialize_gguf(const gguf::Metadata& metadata, const std::vector<GgufTensorData>& tensors,
                                            uint32_t alignment) {
  HFB_TRY(GgufLayout::check_alignment(alignment));
  GgufLayout layout(alignment);
  for (const auto& [key, value] : metadata) HFB_TRY(layout.add_metadata(key, value));
  for (const auto& t : tensors) HFB_TRY(layout.add_tensor(t.name, t.ne, t.type));
  std::vector<uint8_t> out = layout.header_bytes();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& slot = layout.tensors()[i];
    if (tensors[i].data.size() != slot.nbytes) {
      return Error(ErrorCode::kInvalidArgument, "gguf: " + std::to_string(tensors[i].data.size()) +
                                                    " data bytes, expected " + std::to_string(slot.nbytes))
          .with_tensor(slot.name);
    }
    out.insert(out.end(), tensors[i].data.begin(), tensors[i].data.end());
    out.resize(out.size() + layout.padding_after(slot.nbytes), 0);
  }
  return out;
}

}  // namespace hfb
