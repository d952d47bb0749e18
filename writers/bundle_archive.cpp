// zstd compression of finished data files and deterministic stored-entry zips (libzip) for the bundle writer.
#include "writers/bundle_archive.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>
#include <zip.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace hfb {
namespace {

constexpr size_t kIoBlock = 1u << 20;

struct ZstdCctxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct Xxh3Deleter {
  void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
};

Error zstd_error(size_t code, const std::string& path) {
  return Error(ErrorCode::kIo, std::string("zstd compression failed: ") + ZSTD_getErrorName(code)).with_path(path);
}

// Compress one input block (or the end of input) and hand every produced byte to the sink.
Status pump_zstd(ZSTD_CCtx* cctx, ZSTD_inBuffer& in, ZSTD_EndDirective mode, std::vector<uint8_t>& out_buf,
                 WriteSink& sink, XXH3_state_t* hash, CompressedFile& result, const std::string& path) {
  bool done = false;
  while (!done) {
    ZSTD_outBuffer out{out_buf.data(), out_buf.size(), 0};
    const size_t remaining = ZSTD_compressStream2(cctx, &out, &in, mode);
    if (ZSTD_isError(remaining)) return zstd_error(remaining, path);
    HFB_TRY(sink.write(out_buf.data(), out.pos));
    XXH3_64bits_update(hash, out_buf.data(), out.pos);
    result.stored_size += out.pos;
    done = mode == ZSTD_e_end ? remaining == 0 : in.pos == in.size;
  }
  return ok_status();
}

}  // namespace

Result<CompressedFile> compress_file_zstd(const std::string& src_path, uint64_t raw_size, int level,
                                          WriteSink& sink) {
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel() || level == 0) {
    return Error(ErrorCode::kInvalidArgument, "zstd level " + std::to_string(level) + " outside 1.." +
                                                  std::to_string(ZSTD_maxCLevel()));
  }
  std::unique_ptr<ZSTD_CCtx, ZstdCctxDeleter> cctx(ZSTD_createCCtx());
  std::unique_ptr<XXH3_state_t, Xxh3Deleter> hash(XXH3_createState());
  if (!cctx || !hash) return Error(ErrorCode::kIo, "out of memory for zstd").with_path(src_path);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setPledgedSrcSize(cctx.get(), raw_size);
  XXH3_64bits_reset(hash.get());

  const int fd = ::open(src_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrorCode::kIo, std::string("cannot open: ") + std::strerror(errno)).with_path(src_path);
  std::vector<uint8_t> in_buf(kIoBlock), out_buf(ZSTD_CStreamOutSize());
  CompressedFile result;
  Status status = ok_status();
  for (;;) {
    const ssize_t n = ::read(fd, in_buf.data(), in_buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = Error(ErrorCode::kIo, std::string("read failed: ") + std::strerror(errno)).with_path(src_path);
      break;
    }
    ZSTD_inBuffer in{in_buf.data(), static_cast<size_t>(n), 0};
    const ZSTD_EndDirective mode = n == 0 ? ZSTD_e_end : ZSTD_e_continue;
    status = pump_zstd(cctx.get(), in, mode, out_buf, sink, hash.get(), result, src_path);
    if (!status.ok() || n == 0) break;
  }
  ::close(fd);
  HFB_TRY(status);
  HFB_TRY(sink.close());
  result.stored_xxh3 = XXH3_64bits_digest(hash.get());
  return result;
}

namespace {

Error zip_error(zip_t* za, const std::string& what, const std::string& path) {
  return Error(ErrorCode::kIo, what + ": " + zip_strerror(za)).with_path(path);
}

// 1980-01-01 00:00:00 in MS-DOS date/time fields (the zip epoch), independent of the time zone.
constexpr zip_uint16_t kDosTime = 0;
constexpr zip_uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;

Status add_stored_entry(zip_t* za, const std::string& dir, const std::string& entry,
                        const std::string& zip_path) {
  const std::string path = dir + "/" + entry;
  zip_source_t* src = zip_source_file(za, path.c_str(), 0, -1);
  if (src == nullptr) return zip_error(za, "cannot read '" + path + "'", zip_path);
  const zip_int64_t index = zip_file_add(za, entry.c_str(), src, ZIP_FL_ENC_UTF_8);
  if (index < 0) {
    zip_source_free(src);
    return zip_error(za, "cannot add entry '" + entry + "'", zip_path);
  }
  const auto i = static_cast<zip_uint64_t>(index);
  if (zip_set_file_compression(za, i, ZIP_CM_STORE, 0) != 0 ||
      zip_file_set_dostime(za, i, kDosTime, kDosDate, 0) != 0 ||
      zip_file_set_external_attributes(za, i, 0, ZIP_OPSYS_UNIX, 0100644u << 16) != 0) {
    return zip_error(za, "cannot set attributes of entry '" + entry + "'", zip_path);
  }
  return ok_status();
}

}  // namespace

Status write_stored_zip(const std::string& dir, const std::vector<std::string>& entries,
                        const std::string& zip_path) {
  int err = 0;
  zip_t* za = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_EXCL, &err);
  if (za == nullptr) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    Error e = Error(ErrorCode::kIo, std::string("cannot create zip: ") + zip_error_strerror(&ze)).with_path(zip_path);
    zip_error_fini(&ze);
    return e;
  }
  for (const std::string& entry : entries) {
    Status s = add_stored_entry(za, dir, entry, zip_path);
    if (!s.ok()) {
      zip_discard(za);
      return s;
    }
  }
  if (zip_close(za) != 0) {
    Error e = zip_error(za, "cannot write zip", zip_path);
    zip_discard(za);
    ::unlink(zip_path.c_str());
    return e;
  }
  return ok_status();
}

}  // namespace hfb
