// hfbundle-eval-reference/1: writing (temporary file, checksum patched in, rename) and validated reading.
#include "validators/eval_reference.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/checked_math.h"
#include "core/limits.h"

namespace hfb {

uint64_t fnv1a64(const void* data, size_t size, uint64_t hash) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
  return hash;
}

namespace {

static_assert(sizeof(float) == 4, "logits are stored as IEEE float32");

template <typename T>
void put(std::string* out, T value) {  // little-endian hosts only (x86-64, arm64), as every format here
  out->append(reinterpret_cast<const char*>(&value), sizeof(value));
}

template <typename T>
T get(const uint8_t* at) {
  T value;
  std::memcpy(&value, at, sizeof(value));
  return value;
}

Error io_error(const std::string& what, const std::string& path) {
  return Error(ErrorCode::kIo, what + ": " + std::strerror(errno)).with_path(path);
}

Error invalid(const std::string& what, const std::string& path) {
  return Error(ErrorCode::kInvalidFile, "eval reference: " + what +
                                            " (not a file written by eval --save-reference, or a damaged one?)")
      .with_path(path);
}

// Everything after the header up to the logits: label, lengths, ids.
std::string encode_body(const EvalReferenceInfo& info) {
  std::string body = info.label;
  for (const auto& s : info.sequences) put<uint64_t>(&body, s.size());
  for (const auto& s : info.sequences) {
    for (int64_t id : s) put<int32_t>(&body, static_cast<int32_t>(id));
  }
  return body;
}

std::string encode_header(const EvalReferenceInfo& info, uint64_t checksum) {
  std::string header(kEvalReferenceMagic, sizeof(kEvalReferenceMagic));
  put<uint32_t>(&header, kEvalReferenceVersion);
  put<uint32_t>(&header, kEvalReferenceHeaderBytes);
  put<uint64_t>(&header, info.model_fingerprint);
  put<int64_t>(&header, info.vocab_size);
  put<int64_t>(&header, info.num_layers);
  put<uint64_t>(&header, info.sequences.size());
  put<uint64_t>(&header, info.label.size());
  put<uint64_t>(&header, checksum);
  return header;
}

}  // namespace

Result<std::unique_ptr<EvalReferenceWriter>> EvalReferenceWriter::create(const std::string& path,
                                                                         const EvalReferenceInfo& info) {
  if (info.sequences.empty() || info.vocab_size < 1) {
    return Error(ErrorCode::kInvalidArgument, "an eval reference needs at least one sequence and a vocabulary")
        .with_path(path);
  }
  std::unique_ptr<EvalReferenceWriter> writer(new EvalReferenceWriter());
  writer->path_ = path;
  writer->info_ = info;
  writer->temp_path_ = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(writer->temp_path_.data());
  if (fd < 0) return io_error("cannot create a temporary file", path);
  ::fchmod(fd, 0644);
  writer->file_ = ::fdopen(fd, "wb");
  if (writer->file_ == nullptr) {
    ::close(fd);
    ::unlink(writer->temp_path_.c_str());
    return io_error("cannot open the temporary file", path);
  }
  const std::string header = encode_header(info, 0);
  const std::string body = encode_body(info);
  writer->checksum_ = fnv1a64(body.data(), body.size(), kFnvOffset);
  if (std::fwrite(header.data(), 1, header.size(), writer->file_) != header.size() ||
      std::fwrite(body.data(), 1, body.size(), writer->file_) != body.size()) {
    return io_error("write failed", path);
  }
  return writer;
}

EvalReferenceWriter::~EvalReferenceWriter() {
  if (file_ == nullptr) return;
  std::fclose(file_);
  ::unlink(temp_path_.c_str());
}

Status EvalReferenceWriter::append(const Matrix& logits) {
  if (next_ >= info_.sequences.size() || logits.rows != static_cast<int64_t>(info_.sequences[next_].size()) ||
      logits.cols != info_.vocab_size) {
    return Error(ErrorCode::kInvalidArgument, "eval reference: logits [" + std::to_string(logits.rows) + ", " +
                                                  std::to_string(logits.cols) + "] do not fit sequence " +
                                                  std::to_string(next_))
        .with_path(path_);
  }
  const size_t bytes = logits.data.size() * sizeof(float);
  checksum_ = fnv1a64(logits.data.data(), bytes, checksum_);
  if (std::fwrite(logits.data.data(), 1, bytes, file_) != bytes) return io_error("write failed", path_);
  ++next_;
  return ok_status();
}

Status EvalReferenceWriter::commit() {
  if (next_ != info_.sequences.size()) {
    return Error(ErrorCode::kInvalidArgument, "eval reference: " + std::to_string(next_) + " of " +
                                                  std::to_string(info_.sequences.size()) + " sequences written")
        .with_path(path_);
  }
  const std::string header = encode_header(info_, checksum_);
  const bool ok = std::fseek(file_, 0, SEEK_SET) == 0 &&
                  std::fwrite(header.data(), 1, header.size(), file_) == header.size() && std::fflush(file_) == 0 &&
                  ::fsync(::fileno(file_)) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok || !closed || std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const Error error = io_error("cannot write the eval reference", path_);
    ::unlink(temp_path_.c_str());
    return error;
  }
  return ok_status();
}

namespace {

// Reads and checks the header; fills every field of `info` but the sequences.
Status read_header(const uint8_t* at, uint64_t size, const std::string& path, EvalReferenceInfo* info,
                   uint64_t* count, uint64_t* label_bytes, uint64_t* checksum) {
  if (size < kEvalReferenceHeaderBytes) return invalid("file of " + std::to_string(size) + " bytes is shorter than the 64-byte header", path);
  if (std::memcmp(at, kEvalReferenceMagic, sizeof(kEvalReferenceMagic)) != 0) return invalid("bad magic, expected HFBEVREF", path);
  const auto version = get<uint32_t>(at + 8);
  if (version != kEvalReferenceVersion) {
    return Error(ErrorCode::kUnsupported, "eval reference: version " + std::to_string(version) + ", this build reads 1").with_path(path);
  }
  if (get<uint32_t>(at + 12) != kEvalReferenceHeaderBytes) return invalid("header length " + std::to_string(get<uint32_t>(at + 12)) + ", expected 64", path);
  info->model_fingerprint = get<uint64_t>(at + 16);
  info->vocab_size = get<int64_t>(at + 24);
  info->num_layers = get<int64_t>(at + 32);
  *count = get<uint64_t>(at + 40);
  *label_bytes = get<uint64_t>(at + 48);
  *checksum = get<uint64_t>(at + 56);
  if (info->vocab_size < 1 || info->vocab_size > limits().max_vocab) return invalid("vocab_size " + std::to_string(info->vocab_size) + " outside [1, limit vocab]", path);
  if (*count < 1 || *count > static_cast<uint64_t>(limits().max_prompts)) return invalid("sequence count " + std::to_string(*count) + " outside [1, limit prompts]", path);
  if (*label_bytes > 4096) return invalid("label of " + std::to_string(*label_bytes) + " bytes (at most 4096)", path);
  return ok_status();
}

}  // namespace

Result<EvalReferenceFile> EvalReferenceFile::open(const std::string& path) {
  EvalReferenceFile out;
  HFB_TRY(out.file_, MmapFile::open(path));
  const uint64_t size = out.file_->size();
  HFB_TRY(ByteSpan head, out.file_->read(0, std::min<uint64_t>(size, kEvalReferenceHeaderBytes)));
  uint64_t count = 0, label_bytes = 0, checksum = 0;
  HFB_TRY(read_header(head.data, size, path, &out.info_, &count, &label_bytes, &checksum));
  const uint64_t fixed = kEvalReferenceHeaderBytes + label_bytes + count * 8;
  if (fixed > size) return invalid("truncated: " + std::to_string(count) + " sequence lengths do not fit", path);
  HFB_TRY(ByteSpan lengths, out.file_->read(kEvalReferenceHeaderBytes + label_bytes, count * 8));
  uint64_t total = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const auto length = get<uint64_t>(lengths.data + i * 8);
    if (length < 1 || length > static_cast<uint64_t>(limits().max_positions)) return invalid("sequence " + std::to_string(i) + " has length " + std::to_string(length), path);
    total += length;
  }
  const auto logit_bytes = checked_mul(total * 4, static_cast<uint64_t>(out.info_.vocab_size));
  const auto expected = logit_bytes ? checked_add(fixed + total * 4, *logit_bytes) : std::nullopt;
  if (!expected || *expected != size) {
    return invalid("size " + std::to_string(size) + " bytes does not match " + std::to_string(total) + " positions x " +
                       std::to_string(out.info_.vocab_size) + " logits (truncated?)", path);
  }
  HFB_TRY(ByteSpan body, out.file_->read(kEvalReferenceHeaderBytes, size - kEvalReferenceHeaderBytes));
  if (fnv1a64(body.data, body.size, kFnvOffset) != checksum) return invalid("checksum mismatch", path);
  out.info_.label.assign(reinterpret_cast<const char*>(body.data), label_bytes);
  const uint8_t* ids = body.data + label_bytes + count * 8;
  uint64_t offset = fixed + total * 4;
  for (uint64_t i = 0; i < count; ++i) {
    std::vector<int64_t> sequence(get<uint64_t>(lengths.data + i * 8));
    for (int64_t& id : sequence) {
      id = get<int32_t>(ids);
      ids += 4;
      if (id < 0 || id >= out.info_.vocab_size) return invalid("sequence " + std::to_string(i) + ": id " + std::to_string(id) + " outside the vocabulary", path);
    }
    out.offsets_.push_back(offset);
    offset += sequence.size() * out.info_.vocab_size * 4;
    out.info_.sequences.push_back(std::move(sequence));
  }
  return out;
}

Result<Matrix> EvalReferenceFile::logits(size_t index) const {
  Matrix m;
  m.rows = static_cast<int64_t>(info_.sequences.at(index).size());
  m.cols = info_.vocab_size;
  HFB_TRY(ByteSpan span, file_->read(offsets_.at(index), m.rows * m.cols * 4));
  m.data.resize(m.rows * m.cols);
  std::memcpy(m.data.data(), span.data, span.size);
  file_->release(offsets_.at(index), span.size);
  HFB_TRY(file_->check_intact());
  return m;
}

}  // namespace hfb
