// MmapFile and MemorySource.
#include "core/byte_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/checked_math.h"

namespace hfb {
namespace {

Result<ByteSpan> checked_span(const uint8_t* base, uint64_t total, const std::string& path,
                              uint64_t offset, uint64_t size) {
  auto end = checked_add(offset, size);
  if (!end || *end > total) {
    return Error(ErrorCode::kInvalidFile,
                 "read of " + std::to_string(size) + " bytes at offset " + std::to_string(offset) +
                     " is past the end of the file (" + std::to_string(total) +
                     " bytes; truncated download?)")
        .with_path(path)
        .with_offset(offset);
  }
  return ByteSpan{base + offset, size};
}

}  // namespace

Result<std::shared_ptr<MmapFile>> MmapFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                 std::string("cannot open: ") + std::strerror(err))
        .with_path(path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(ErrorCode::kIo, "not a regular file").with_path(path);
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const uint8_t* data = nullptr;
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return Error(ErrorCode::kIo, std::string("mmap failed: ") + std::strerror(err)).with_path(path);
    }
    data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return std::shared_ptr<MmapFile>(new MmapFile(path, data, size));
}

MmapFile::~MmapFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

Result<ByteSpan> MmapFile::read(uint64_t offset, uint64_t size) const {
  return checked_span(data_, size_, path_, offset, size);
}

void MmapFile::release(uint64_t offset, uint64_t size) const {
  if (data_ == nullptr || size == 0) return;
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t begin = (offset + page - 1) / page * page;
  const uint64_t end = std::min(size_, offset + size) / page * page;
  if (end > begin) ::madvise(const_cast<uint8_t*>(data_) + begin, end - begin, MADV_DONTNEED);
}

Result<ByteSpan> MemorySource::read(uint64_t offset, uint64_t size) const {
  return checked_span(bytes_.data(), bytes_.size(), path_, offset, size);
}

}  // namespace hfb
