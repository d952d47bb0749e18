// open_direct_file_sink: staged, 4096-aligned O_DIRECT writes with a padded last block and a final truncate.
#include "writers/convert_direct_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace hfb {
namespace {

constexpr uint64_t kAlign = 4096;  // O_DIRECT offset, size and address alignment (>= any logical block)

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error(ErrorCode::kIo, what + ": " + std::strerror(err) + (err == ENOSPC ? " (disk full?)" : ""))
      .with_path(path);
}

class DirectFileSink final : public WriteSink {
 public:
  DirectFileSink(int fd, std::string path, bool direct, uint8_t* buffer)
      : fd_(fd), path_(std::move(path)), direct_(direct), buffer_(buffer) {}
  ~DirectFileSink() override {
    if (fd_ >= 0) ::close(fd_);
    std::free(buffer_);
  }
  DirectFileSink(const DirectFileSink&) = delete;
  DirectFileSink& operator=(const DirectFileSink&) = delete;

  Status write(const uint8_t* data, uint64_t size) override {
    HFB_CHECK(fd_ >= 0);
    while (size > 0) {
      const uint64_t n = std::min(size, kDirectSinkBufferBytes - used_);
      std::memcpy(buffer_ + used_, data, n);
      used_ += n;
      data += n;
      size -= n;
      if (used_ == kDirectSinkBufferBytes) HFB_TRY(flush(used_));
    }
    return ok_status();
  }

  Status close() override {
    HFB_CHECK(fd_ >= 0);
    const uint64_t size = written_ + used_;
    if (used_ > 0) {
      const uint64_t padded = (used_ + kAlign - 1) / kAlign * kAlign;
      std::memset(buffer_ + used_, 0, padded - used_);
      HFB_TRY(flush(padded));
      if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
        return io_error("truncate failed", path_, errno).with_offset(size);
      }
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return io_error("close failed", path_, errno);
    return ok_status();
  }

 private:
  /// Writes buffer_[0, bytes) at written_ and empties the buffer.
  Status flush(uint64_t bytes) {
    uint64_t done = 0;
    while (done < bytes) {
      const ssize_t n = ::pwrite(fd_, buffer_ + done, bytes - done, static_cast<off_t>(written_ + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EINVAL && direct_) {  // O_DIRECT refused after all: through the page cache
        direct_ = false;
        if (::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_DIRECT) == 0) continue;
      }
      if (n < 0) return io_error("write failed", path_, errno).with_offset(written_ + done);
      done += static_cast<uint64_t>(n);
    }
    written_ += std::min(bytes, used_);
    used_ = 0;
    return ok_status();
  }

  int fd_;
  std::string path_;
  bool direct_;
  uint8_t* buffer_;
  uint64_t used_ = 0;
  uint64_t written_ = 0;
};

}  // namespace

Result<std::unique_ptr<WriteSink>> open_direct_file_sink(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", path, errno);
  // Set after creating, so a file system without O_DIRECT (tmpfs) leaves a usable buffered file.
  const bool direct = ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_DIRECT) == 0;
  void* buffer = nullptr;
  if (::posix_memalign(&buffer, kAlign, kDirectSinkBufferBytes) != 0) {
    ::close(fd);
    return Error(ErrorCode::kIo, "cannot allocate the write buffer").with_path(path);
  }
  return std::unique_ptr<WriteSink>(new DirectFileSink(fd, path, direct, static_cast<uint8_t*>(buffer)));
}

}  // namespace hfb
