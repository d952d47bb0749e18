// MmapFile and MemorySource.
#include "core/byte_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/checked_math.h"
#include "core/limits.h"
#include "core/mapped_guard.h"

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
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the regular-file check below refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    const bool missing = err == ENOENT || err == ENOTDIR;
    return Error(missing ? ErrorCode::kNotFound : err == EISDIR ? ErrorCode::kInvalidFile : ErrorCode::kIo,
                 std::string("cannot open: ") + std::strerror(err))
        .with_path(path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Error(ErrorCode::kIo, std::string("cannot stat: ") + std::strerror(err)).with_path(path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(ErrorCode::kInvalidFile, "not a regular file (a directory, FIFO, device or socket)").with_path(path);
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

MmapFile::MmapFile(std::string path, const uint8_t* data, uint64_t size)
    : path_(std::move(path)), data_(data), size_(size), guard_slot_(mapped_guard_register(data, size)) {}

MmapFile::~MmapFile() {
  mapped_guard_unregister(guard_slot_);
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

Status MmapFile::check_intact() const {
  if (!mapped_guard_faulted(guard_slot_)) return ok_status();
  return Error(ErrorCode::kInvalidFile,
               "changed while being read (truncated or rewritten underneath; its bytes can no longer be trusted)")
      .with_path(path_);
}

Result<ByteSpan> MmapFile::read(uint64_t offset, uint64_t size) const {
  HFB_TRY(check_intact());
  return checked_span(data_, size_, path_, offset, size);
}

void MmapFile::release(uint64_t offset, uint64_t size) const {
  if (data_ == nullptr || size == 0) return;
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t begin = (offset + page - 1) / page * page;
  const uint64_t end = std::min(size_, offset + size) / page * page;
  if (end > begin) ::madvise(const_cast<uint8_t*>(data_) + begin, end - begin, MADV_DONTNEED);
}

Result<std::string> read_small_file(const std::string& path, uint64_t max_bytes, const char* limit_name) {
  HFB_TRY(std::shared_ptr<MmapFile> file, MmapFile::open(path));
  Status small = check_limit("file size", file->size(), max_bytes, limit_name);
  if (!small.ok()) return std::move(small).error().with_path(path);
  HFB_TRY(ByteSpan span, file->read(0, file->size()));
  std::string text(reinterpret_cast<const char*>(span.data), span.size);
  HFB_TRY(file->check_intact());
  return text;
}

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<ByteSpan> MemorySource::read(uint64_t offset, uint64_t size) const {
  return checked_span(bytes_.data(), bytes_.size(), path_, offset, size);
}

}  // namespace hfb
