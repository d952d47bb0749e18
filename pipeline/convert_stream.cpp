// stream_tensor: row-block reads from the mmapped checkpoint, per-block quantize, append, release pages.
#include "pipeline/convert_stream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "core/interrupt.h"
#include "formats/bundle_format.h"
#include "quant/fused_encode.h"
#include "quant/nonfinite_rule.h"
#include "quant/scheme_traits.h"
#include "writers/bundle_writer.h"

namespace hfb {
namespace {

uint64_t aligned(uint64_t bytes) { return (bytes + kBundleAlignment - 1) / kBundleAlignment * kBundleAlignment; }

bool is_kmeans(Scheme s) { return scheme_traits(s).family == SchemeFamily::kKmeans; }
bool is_absmax(Scheme s) { return scheme_traits(s).family == SchemeFamily::kAbsmax; }

/// One scale or LUT spans the whole tensor: it cannot be computed block by block.
bool needs_whole_tensor(Scheme scheme, const QuantParams& stored) {
  return (is_absmax(scheme) || is_kmeans(scheme)) && stored.per_tensor;
}

BundleTensorMeta tensor_meta(const TensorInfo& info, const std::string& chunk) {
  BundleTensorMeta meta;
  meta.name = info.name;
  meta.role = info.role;
  meta.tower = info.tower;
  meta.layer = info.layer;
  meta.chunk = chunk;
  meta.dtype = info.dtype;
  meta.shape = info.shape;
  return meta;
}

BundleTensorMeta encoded_meta(const TensorInfo& info, const std::string& chunk, Scheme scheme, const QuantParams& p) {
  BundleTensorMeta meta = tensor_meta(info, chunk);
  meta.scheme = std::string(scheme_name(scheme));
  meta.group_size = static_cast<uint32_t>(p.group_size);
  meta.block_size = static_cast<uint32_t>(p.block_size);
  if (is_absmax(scheme) || (is_kmeans(scheme) && p.per_channel_scale)) meta.scale_dtype = p.f32_scales ? "F32" : "F16";
  meta.per_tensor = p.per_tensor;
  meta.per_channel_scale = p.per_channel_scale;
  return meta;
}

Error named(Error error, const TensorInfo& info) {
  if (error.tensor.empty()) error.tensor = info.name;
  return error;
}

/// Copies the plain tensor's bytes as one "data" segment, block by block.
/// Appends the tensor's stored bytes to the open segment in blocks of kConvertBlockBytes, releasing the source as
/// it goes (progress, SIGBUS guard, Ctrl-C). `check(block, byte offset)` sees each block before it is written.
Status copy_stored_bytes(const TensorInfo& info, const TensorTarget& target,
                         const std::function<Status(ByteSpan, uint64_t)>& check = {}) {
  for (uint64_t at = 0; at < info.num_bytes; at += kConvertBlockBytes) {
    const uint64_t n = std::min(kConvertBlockBytes, info.num_bytes - at);
    HFB_TRY(ByteSpan span, info.source->read(info.offset + at, n));
    if (check) HFB_TRY(check(span, at));
    if (target.writer) HFB_TRY(target.writer->append(span));
    HFB_TRY(info.source->check_intact());  // truncated underneath: the block read zeros (core/mapped_guard.h)
    info.source->release(info.offset + at, n);
    if (target.on_bytes) target.on_bytes(at + n);
    HFB_TRY(check_interrupted());  // Ctrl-C / SIGTERM: unwind; the writer removes its temp directory
  }
  return ok_status();
}

Result<StreamedTensor> stream_plain(const TensorInfo& info, const TensorDecision& decision,
                                    const TensorTarget& target) {
  StreamedTensor out;
  out.coverage.reason = decision.reason;
  out.coverage.rule = decision.rule;
  out.coverage.fallback = decision.fallback;
  out.coverage.bytes_before = out.coverage.bytes_after = info.num_bytes;
  out.stored_bytes = aligned(info.num_bytes);
  if (target.writer) {
    HFB_TRY(target.writer->begin_tensor(tensor_meta(info, target.chunk)));
    HFB_TRY(target.writer->begin_segment("data", target.file));
  }
  const uint64_t element_bytes = std::max<uint64_t>(1, info.dtype.block_bytes());
  const int64_t cols = std::max<int64_t>(1, matrix_view(info.shape).second);
  HFB_TRY(copy_stored_bytes(info, target, [&](ByteSpan span, uint64_t at) -> Status {
    const int64_t bad =
        decision.params.allow_nonfinite ? -1 : first_nonfinite(span.data, info.dtype, span.size / element_bytes);
    if (bad < 0) return ok_status();
    const int64_t index = static_cast<int64_t>(at / element_bytes) + bad;
    return Error(ErrorCode::kInvalidArgument, "none: non-finite weight (inf or NaN) at row " + std::to_string(index / cols) +
                                                  ", column " + std::to_string(index % cols) +
                                                  " (--allow-nonfinite keeps it; docs/quantization.md)");
  }));
  if (target.writer) {
    HFB_TRY(target.writer->end_segment());
    HFB_TRY(target.writer->end_tensor());
  }
  return out;
}

/// The accumulated non-code parts of an encoded tensor (small: a scale per row or block, LUTs).
struct EncodedTail {
  std::vector<uint8_t> scales;
  std::vector<uint8_t> lut;
  uint64_t codes = 0;
  QuantMetrics metrics;
};

/// Appends code blocks to the open segment on a helper thread, one block behind, so that write(2) and the
/// checksum of block i overlap the quantization of block i + 1. Appends stay in order (each push first
/// waits for the previous one), so the output is the same as appending inline.
class BlockAppender {
 public:
  explicit BlockAppender(BundleWriter* writer) : writer_(writer) {}
  ~BlockAppender() { (void)wait(); }
  BlockAppender(const BlockAppender&) = delete;
  BlockAppender& operator=(const BlockAppender&) = delete;

  /// Waits for the previous block (failing with its error), then starts appending `codes`.
  Status push(std::vector<uint8_t> codes) {
    HFB_TRY(wait());
    spare_ = std::move(pending_);  // written: its storage serves a later block
    pending_ = std::move(codes);
    if (writer_ == nullptr) return ok_status();
    thread_ = std::thread([this] { status_ = writer_->append(ByteSpan{pending_.data(), pending_.size()}); });
    return ok_status();
  }
  /// The storage of an appended block, for the next block's codes (reused pages, no zero fill when the
  /// size matches); empty at first.
  std::vector<uint8_t> take_spare() { return std::move(spare_); }
  /// Waits for the block in flight; its append's status.
  Status wait() {
    if (thread_.joinable()) thread_.join();
    Status status = std::move(status_);
    status_ = ok_status();
    return status;
  }

 private:
  BundleWriter* writer_;
  std::vector<uint8_t> pending_;
  std::vector<uint8_t> spare_;
  std::thread thread_;
  Status status_;
};

/// Adds the block's scales, LUT and metrics to `tail` and hands its codes to `appender`.
Status append_block(EncodedTensor block, BlockAppender* appender, EncodedTail* tail) {
  tail->codes += block.codes.size();
  tail->scales.insert(tail->scales.end(), block.scales.begin(), block.scales.end());
  const size_t at = tail->lut.size();
  tail->lut.resize(at + block.lut.size() * sizeof(float));
  if (!block.lut.empty()) std::memcpy(tail->lut.data() + at, block.lut.data(), block.lut.size() * sizeof(float));
  tail->metrics.add(block.metrics);
  return appender->push(std::move(block.codes));
}

Status write_part(const TensorTarget& target, const char* part, const std::vector<uint8_t>& bytes) {
  if (!target.writer || bytes.empty()) return ok_status();
  HFB_TRY(target.writer->begin_segment(part, target.file));
  HFB_TRY(target.writer->append(ByteSpan{bytes.data(), bytes.size()}));
  return target.writer->end_segment();
}

/// Quantizes rows [begin, end) of the tensor. `scratch` holds an aligned copy when the mapping is not;
/// `storage` is reused for the codes where the fused path runs.
Result<EncodedTensor> quantize_block(const TensorInfo& info, const TensorDecision& decision, int64_t cols,
                                     int64_t begin, int64_t end, std::vector<uint8_t>* scratch,
                                     std::vector<uint8_t> storage, const std::vector<float>* column_weights) {
  const uint64_t row_bytes = static_cast<uint64_t>(cols) * info.dtype.block_bytes();
  const uint64_t offset = info.offset + static_cast<uint64_t>(begin) * row_bytes;
  const uint64_t size = static_cast<uint64_t>(end - begin) * row_bytes;
  HFB_TRY(ByteSpan span, info.source->read(offset, size));
  SourceMatrix src;
  src.data = span.data;
  src.dtype = info.dtype;
  src.rows = end - begin;
  src.cols = cols;
  src.name = info.name;
  src.first_row = begin;
  if (reinterpret_cast<uintptr_t>(span.data) % 4 != 0) {  // safetensors data need not be aligned
    scratch->assign(span.data, span.data + span.size);
    src.data = scratch->data();
  }
  // One pass per row where fused (bf16 q4_0 / int8 per row): widen, encode, decode, error figures; the
  // figures equal quantize()'s double-precision metrics to float rounding.
  auto block = column_weights
                   ? quantize_weighted_with_row_metrics(decision.scheme, src, decision.params, *column_weights)
                   : quantize_with_row_metrics(decision.scheme, src, decision.params, FusedIsa::kBest, std::move(storage));
  if (!block.ok()) {  // row numbers in the message count from `begin`
    return std::move(block).error().with_context("in the block of rows [" + std::to_string(begin) + ", " +
                                                 std::to_string(end) + ")");
  }
  HFB_TRY(info.source->check_intact());  // truncated underneath: the block read zeros (core/mapped_guard.h)
  info.source->release(offset, size);    // the block's source pages are consumed
  return block;
}

Result<StreamedTensor> stream_encoded(const TensorInfo& info, const TensorDecision& decision,
                                      const TensorTarget& target) {
  const auto [rows, cols] = matrix_view(info.shape);
  const QuantParams stored = normalize_params(decision.scheme, rows, cols, decision.params);
  const auto expected = info.shape.num_bytes(info.dtype);
  if (!expected || *expected != info.num_bytes) {
    return Error(ErrorCode::kInvalidFile, "data span " + std::to_string(info.num_bytes) + " bytes, expected " +
                                              std::to_string(expected.value_or(0)))
        .with_path(info.source->path());
  }
  if (target.writer) {
    HFB_TRY(target.writer->begin_tensor(encoded_meta(info, target.chunk, decision.scheme, stored)));
    HFB_TRY(target.writer->begin_segment("codes", target.file));
  }
  const int64_t block_rows = convert_block_rows(info, decision);
  const uint64_t row_bytes = static_cast<uint64_t>(cols) * info.dtype.block_bytes();
  EncodedTail tail;
  std::vector<uint8_t> scratch;
  BlockAppender appender(target.writer);
  for (int64_t begin = 0; begin < rows; begin += block_rows) {
    const int64_t end = std::min(rows, begin + block_rows);
    HFB_TRY(EncodedTensor block, quantize_block(info, decision, cols, begin, end, &scratch, appender.take_spare(),
                                                         target.column_weights));
    HFB_TRY(append_block(std::move(block), &appender, &tail));
    if (target.on_bytes) target.on_bytes(static_cast<uint64_t>(end) * row_bytes);
    HFB_TRY(check_interrupted());
  }
  HFB_TRY(appender.wait());
  if (target.writer) HFB_TRY(target.writer->end_segment());
  HFB_TRY(write_part(target, "scales", tail.scales));
  HFB_TRY(write_part(target, "lut", tail.lut));
  if (target.writer) HFB_TRY(target.writer->end_tensor());
  StreamedTensor out;
  out.coverage.scheme = decision.scheme;
  out.coverage.reason = decision.reason;
  out.coverage.rule = decision.rule;
  out.coverage.fallback = decision.fallback;
  out.coverage.bytes_before = info.num_bytes;
  out.coverage.bytes_after = tail.codes + tail.scales.size() + tail.lut.size();
  out.coverage.metrics = tail.metrics;
  out.stored_bytes = aligned(tail.codes) + aligned(tail.scales.size()) + aligned(tail.lut.size());
  return out;
}

}  // namespace

int64_t convert_block_rows(const TensorInfo& info, const TensorDecision& decision) {
  const auto [rows, cols] = matrix_view(info.shape);
  const QuantParams stored = normalize_params(decision.scheme, rows, cols, decision.params);
  if (needs_whole_tensor(decision.scheme, stored) || rows <= 1) return std::max<int64_t>(1, rows);
  const uint64_t row_bytes = std::max<uint64_t>(1, static_cast<uint64_t>(cols) * info.dtype.block_bytes());
  int64_t block = std::max<int64_t>(1, static_cast<int64_t>(kConvertBlockBytes / row_bytes));
  if (is_kmeans(decision.scheme) && stored.group_size > 0) {
    block = std::max<int64_t>(1, block / stored.group_size) * stored.group_size;  // whole LUT groups only
  }
  return std::min(block, rows);
}

namespace {

/// The bundle scheme whose codes are a ggml block dtype's bytes.
Scheme ggml_scheme(DType dtype) { return dtype.id() == DTypeId::kQ4_0 ? Scheme::kQ4_0 : Scheme::kQ8_0; }

/// A GGUF's q4_0 / q8_0 tensor whose scheme is kept (asked for, or `none`): its blocks copied as the codes.
Result<StreamedTensor> stream_kept_blocks(const TensorInfo& info, const TensorDecision& decision,
                                          const TensorTarget& target) {
  const Scheme scheme = ggml_scheme(info.dtype);
  const auto [rows, cols] = matrix_view(info.shape);
  const QuantParams stored = normalize_params(scheme, rows, cols, decision.params);
  if (target.writer) {
    BundleTensorMeta meta = encoded_meta(info, target.chunk, scheme, stored);
    meta.dtype = DTypeId::kF32;  // what the codes decode to
    HFB_TRY(target.writer->begin_tensor(meta));
    HFB_TRY(target.writer->begin_segment("codes", target.file));
  }
  HFB_TRY(copy_stored_bytes(info, target));
  if (target.writer) {
    HFB_TRY(target.writer->end_segment());
    HFB_TRY(target.writer->end_tensor());
  }
  StreamedTensor out;
  out.coverage.scheme = scheme;
  out.coverage.reason = decision.reason + "; the source's " + std::string(info.dtype.name()) + " blocks kept as they are";
  out.coverage.rule = decision.rule;
  out.coverage.bytes_before = out.coverage.bytes_after = info.num_bytes;
  out.stored_bytes = aligned(info.num_bytes);
  return out;
}

}  // namespace

Result<StreamedTensor> stream_tensor(const TensorInfo& info, const TensorDecision& decision,
                                     const TensorTarget& target) {
  if (!info.source) return Error(ErrorCode::kInternal, "tensor has no byte source").with_tensor(info.name);
  // --allow-nonfinite: a tensor holding NaN/Inf is kept float, never quantized into finite values.
  auto kept = keep_nonfinite_float(info, decision);
  if (!kept.ok()) return named(std::move(kept).error(), info);
  // A GGUF's q4_0 / q8_0 tensor: the policy keeps every non-float dtype as it is (QuantPolicy::decide), so its
  // blocks are copied as the codes of the matching scheme.
  const bool blocks = info.dtype.id() == DTypeId::kQ4_0 || info.dtype.id() == DTypeId::kQ8_0;
  if (blocks && kept->scheme != Scheme::kNone && kept->scheme != ggml_scheme(info.dtype)) {
    return Error(ErrorCode::kUnsupported, std::string(info.dtype.name()) + " source blocks cannot be re-encoded as " +
                                              std::string(scheme_name(kept->scheme)))
        .with_tensor(info.name);
  }
  auto streamed = blocks                           ? stream_kept_blocks(info, *kept, target)
                  : kept->scheme == Scheme::kNone ? stream_plain(info, *kept, target)
                                                   : stream_encoded(info, *kept, target);
  if (!streamed.ok()) return named(std::move(streamed).error(), info);
  streamed->coverage.name = info.name;
  streamed->coverage.role = info.role;
  streamed->coverage.tower = info.tower;
  return streamed;
}

}  // namespace hfb
