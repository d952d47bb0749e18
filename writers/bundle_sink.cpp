// POSIX file sink for the bundle writer: unbuffered write(2) loops with errors that name the file.
#include "writers/bundle_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

}  // namespace

Result<std::unique_ptr<WriteSink>> open_file_sink(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", path, errno);
  return std::unique_ptr<WriteSink>(new FileSink(fd, path));
}

}  // namespace hfb
