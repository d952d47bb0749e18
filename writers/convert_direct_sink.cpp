// open_direct_file_sink: 4096-aligned O_DIRECT writes staged in pooled buffers, a padded last block, a final truncate.
#include "writers/convert_direct_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

namespace hfb {
namespace {

constexpr uint64_t kAlign = 4096;  // O_DIRECT offset, size and address alignment (>= any logical block)

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error(ErrorCode::kIo, what + ": " + std::strerror(err) + (err == ENOSPC ? " (disk full?)" : ""))
      .with_path(path);
}

/// Staging buffers shared by every sink of the process: a sink holds one only inside write(), so memory
/// stays at a buffer or two however many files are open, and the buffers' pages are reused.
class BufferPool {
 public:
  ~BufferPool() {
    for (uint8_t* b : free_) std::free(b);
  }
  uint8_t* take() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        uint8_t* b = free_.back();
        free_.pop_back();
        return b;
      }
    }
    void* b = nullptr;
    return ::posix_memalign(&b, kAlign, kDirectSinkBufferBytes) == 0 ? static_cast<uint8_t*>(b) : nullptr;
  }
  void give_back(uint8_t* b) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(b);
  }

 private:
  std::mutex mutex_;
  std::vector<uint8_t*> free_;
};

BufferPool& buffer_pool() {
  static BufferPool pool;
  return pool;
}

class DirectFileSink final : public WriteSink {
 public:
  DirectFileSink(int fd, std::string path, bool direct) : fd_(fd), path_(std::move(path)), direct_(direct) {}
  ~DirectFileSink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  DirectFileSink(const DirectFileSink&) = delete;
  DirectFileSink& operator=(const DirectFileSink&) = delete;

  /// Whole 4096-byte blocks go out now through a pooled buffer; the rest waits in tail_.
  Status write(const uint8_t* data, uint64_t size) override {
    HFB_CHECK(fd_ >= 0);
    if (tail_used_ + size < kAlign) {
      if (size > 0) std::memcpy(tail_ + tail_used_, data, size);
      tail_used_ += size;
      return ok_status();
    }
    uint8_t* buffer = buffer_pool().take();
    if (buffer == nullptr) return Error(ErrorCode::kIo, "cannot allocate the write buffer").with_path(path_);
    Status status = stage(buffer, data, size);
    buffer_pool().give_back(buffer);
    return status;
  }

  Status close() override {
    HFB_CHECK(fd_ >= 0);
    if (tail_used_ > 0) {  // one padded block, then the exact size
      std::memset(tail_ + tail_used_, 0, kAlign - tail_used_);
      HFB_TRY(flush(tail_, kAlign));
      written_ -= kAlign - tail_used_;
      if (::ftruncate(fd_, static_cast<off_t>(written_)) != 0) {
        return io_error("truncate failed", path_, errno).with_offset(written_);
      }
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return io_error("close failed", path_, errno);
    return ok_status();
  }

 private:
  /// tail_ + data through `buffer`: full buffers and then the whole blocks written, the remainder to tail_.
  Status stage(uint8_t* buffer, const uint8_t* data, uint64_t size) {
    std::memcpy(buffer, tail_, tail_used_);
    uint64_t used = tail_used_;
    tail_used_ = 0;
    while (size > 0) {
      const uint64_t n = std::min(size, kDirectSinkBufferBytes - used);
      std::memcpy(buffer + used, data, n);
      used += n;
      data += n;
      size -= n;
      if (used == kDirectSinkBufferBytes) {
        HFB_TRY(flush(buffer, used));
        used = 0;
      }
    }
    const uint64_t whole = used / kAlign * kAlign;
    if (whole > 0) HFB_TRY(flush(buffer, whole));
    tail_used_ = used - whole;
    std::memcpy(tail_, buffer + whole, tail_used_);
    return ok_status();
  }

  /// Writes bytes [0, size) of the aligned `from` at written_ (a multiple of kAlign).
  Status flush(const uint8_t* from, uint64_t size) {
    uint64_t done = 0;
    while (done < size) {
      const ssize_t n = ::pwrite(fd_, from + done, size - done, static_cast<off_t>(written_ + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EINVAL && direct_) {  // O_DIRECT refused after all: through the page cache
        direct_ = false;
        if (::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_DIRECT) == 0) continue;
      }
      if (n < 0) return io_error("write failed", path_, errno).with_offset(written_ + done);
      done += static_cast<uint64_t>(n);
    }
    written_ += size;
    return ok_status();
  }

  alignas(kAlign) uint8_t tail_[kAlign];  // bytes after the last whole block, not yet written
  uint64_t tail_used_ = 0;
  int fd_;
  std::string path_;
  bool direct_;
  uint64_t written_ = 0;
};

}  // namespace

Result<std::unique_ptr<WriteSink>> open_direct_file_sink(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", path, errno);
  // Set after creating, so a file system without O_DIRECT (tmpfs) leaves a usable buffered file.
  const bool direct = ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_DIRECT) == 0;
  return std::unique_ptr<WriteSink>(new DirectFileSink(fd, path, direct));
}

}  // namespace hfb
