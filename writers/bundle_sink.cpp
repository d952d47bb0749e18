// Sinks of the bundle writer: POSIX files (unbuffered write(2) loops) and streaming zstd compression;
// errors name the file.
#include "writers/bundle_sink.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace hfb {
namespace {

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error(ErrorCode::kIo, what + ": " + std::strerror(err) +
                                   (err == ENOSPC ? " (disk full?)" : ""))
      .with_path(path);
}

class FileSink final : public WriteSink {
 public:
  FileSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FileSink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  Status write(const uint8_t* data, uint64_t size) override {
    HFB_CHECK(fd_ >= 0);
    while (size > 0) {
      const ssize_t n = ::write(fd_, data, size > (1u << 30) ? (1u << 30) : size);
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("write failed", path_, errno).with_offset(written_);
      }
      data += n;
      size -= static_cast<uint64_t>(n);
      written_ += static_cast<uint64_t>(n);
    }
    return ok_status();
  }

  Status close() override {
    HFB_CHECK(fd_ >= 0);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return io_error("close failed", path_, errno);
    return ok_status();
  }

 private:
  int fd_;
  std::string path_;
  uint64_t written_ = 0;
};

Error zstd_error(const std::string& what, size_t code, const std::string& path) {
  return Error(ErrorCode::kIo, "zstd " + what + " failed: " + ZSTD_getErrorName(code)).with_path(path);
}

}  // namespace

struct ZstdSink::Impl {
  ~Impl() {
    ZSTD_freeCCtx(cctx);
    if (hash != nullptr) XXH3_freeState(hash);
  }
  ZSTD_CCtx* cctx = nullptr;
  XXH3_state_t* hash = nullptr;
  std::vector<uint8_t> out;   ///< compressed bytes not yet handed to the inner sink: [0, out_pos)
  size_t out_pos = 0;
  bool ended = false;
};

Result<std::unique_ptr<ZstdSink>> ZstdSink::create(std::unique_ptr<WriteSink> inner, std::string path, int level) {
  if (level < 1 || level > ZSTD_maxCLevel()) {
    return Error(ErrorCode::kInvalidArgument, "zstd level " + std::to_string(level) + " outside 1.." +
                                                  std::to_string(ZSTD_maxCLevel()))
        .with_path(path);
  }
  auto impl = std::make_unique<Impl>();
  impl->cctx = ZSTD_createCCtx();
  impl->hash = XXH3_createState();
  if (impl->cctx == nullptr || impl->hash == nullptr) {
    return Error(ErrorCode::kIo, "out of memory for zstd").with_path(path);
  }
  XXH3_64bits_reset(impl->hash);
  const std::pair<ZSTD_cParameter, int> params[] = {
      {ZSTD_c_compressionLevel, level}, {ZSTD_c_checksumFlag, 1}, {ZSTD_c_nbWorkers, 0}};
  for (const auto& [param, value] : params) {
    const size_t r = ZSTD_CCtx_setParameter(impl->cctx, param, value);
    if (ZSTD_isError(r)) return zstd_error("setup", r, path);
  }
  impl->out.resize(ZSTD_CStreamOutSize());
  return std::unique_ptr<ZstdSink>(new ZstdSink(std::move(impl), std::move(inner), std::move(path)));
}

ZstdSink::ZstdSink(std::unique_ptr<Impl> impl, std::unique_ptr<WriteSink> inner, std::string path)
    : impl_(std::move(impl)), inner_(std::move(inner)), path_(std::move(path)) {}

ZstdSink::~ZstdSink() = default;

// Hands the buffered compressed bytes to the inner sink.
Status ZstdSink::flush() {
  if (impl_->out_pos == 0) return ok_status();
  HFB_TRY(inner_->write(impl_->out.data(), impl_->out_pos));
  XXH3_64bits_update(impl_->hash, impl_->out.data(), impl_->out_pos);
  stored_.size += impl_->out_pos;
  stored_.xxh3 = XXH3_64bits_digest(impl_->hash);
  impl_->out_pos = 0;
  return ok_status();
}

Status ZstdSink::write(const uint8_t* data, uint64_t size) {
  HFB_CHECK(!impl_->ended);
  ZSTD_inBuffer in{data, static_cast<size_t>(size), 0};
  while (in.pos < in.size) {
    if (impl_->out_pos == impl_->out.size()) HFB_TRY(flush());
    ZSTD_outBuffer out{impl_->out.data(), impl_->out.size(), impl_->out_pos};
    const size_t r = ZSTD_compressStream2(impl_->cctx, &out, &in, ZSTD_e_continue);
    if (ZSTD_isError(r)) return zstd_error("compression", r, path_).with_offset(stored_.size);
    impl_->out_pos = out.pos;
  }
  return ok_status();
}

Status ZstdSink::close() {
  HFB_CHECK(!impl_->ended);
  impl_->ended = true;
  for (size_t remaining = 1; remaining != 0;) {
    if (impl_->out_pos == impl_->out.size()) HFB_TRY(flush());
    ZSTD_inBuffer in{nullptr, 0, 0};
    ZSTD_outBuffer out{impl_->out.data(), impl_->out.size(), impl_->out_pos};
    remaining = ZSTD_compressStream2(impl_->cctx, &out, &in, ZSTD_e_end);
    if (ZSTD_isError(remaining)) return zstd_error("compression", remaining, path_).with_offset(stored_.size);
    impl_->out_pos = out.pos;
  }
  HFB_TRY(flush());
  return inner_->close();
}

Result<std::unique_ptr<WriteSink>> open_file_sink(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", path, errno);
  return std::unique_ptr<WriteSink>(new FileSink(fd, path));
}

}  // namespace hfb
