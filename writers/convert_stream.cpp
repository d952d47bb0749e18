// stream_tensor: row-block reads from the mmapped checkpoint, per-block quantize, append, release pages.
#include "writers/convert_stream.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "writers/bundle_format.h"
#include "writers/bundle_writer.h"

namespace hfb {
namespace {

uint64_t aligned(uint64_t bytes) { return (bytes + kBundleAlignment - 1) / kBundleAlignment * kBundleAlignment; }

bool is_kmeans(Scheme s) { return s == Scheme::kKmeans4 || s == Scheme::kKmeans8; }
bool is_absmax(Scheme s) { return s == Scheme::kInt8 || s == Scheme::kInt4; }

/// One scale or LUT spans the whole tensor: it cannot be computed block by block.
bool needs_whole_tensor(Scheme scheme, const QuantParams& stored) {
  return (is_absmax(scheme) || is_kmeans(scheme)) && stored.per_tensor;
}

void add_metrics(QuantMetrics* total, const QuantMetrics& block) {
  total->num_weights += block.num_weights;
  total->sse += block.sse;
  total->signal += block.signal;
  total->max_abs_error = std::max(total->max_abs_error, block.max_abs_error);
  total->max_abs_value = std::max(total->max_abs_value, block.max_abs_value);
}

constexpr int kLanes = 8;            // independent float accumulators per row (vectorisable)
constexpr int64_t kMetricRows = 16;  // rows widened and decoded at a time per thread

/// Widens row `row` of the block to float32 (exact for F16/BF16).
void widen_row(const SourceMatrix& src, int64_t row, float* out) {
  const int64_t n = src.cols;
  if (src.dtype.id() == DTypeId::kF32) {
    std::memcpy(out, static_cast<const float*>(src.data) + row * n, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  const uint16_t* p = static_cast<const uint16_t*>(src.data) + row * n;
  if (src.dtype.id() == DTypeId::kBF16) {
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t bits = static_cast<uint32_t>(p[i]) << 16;
      std::memcpy(out + i, &bits, sizeof(float));
    }
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(p[i]);
  }
}

/// Per-lane partial sums of one row: lane l takes the elements i with i % kLanes == l.
struct RowLanes {
  float sse[kLanes] = {}, signal[kLanes] = {}, max_err[kLanes] = {}, max_abs[kLanes] = {};
};

/// Elements [from, n) into the lanes, one at a time (the tail, or every element without SSE2).
void row_error_scalar(const float* x, const float* y, int64_t from, int64_t n, RowLanes* lanes) {
  for (int64_t i = from; i < n; ++i) {
    const int l = static_cast<int>(i % kLanes);
    const float v = x[i], e = v - y[i];
    lanes->sse[l] += e * e;
    lanes->signal[l] += v * v;
    lanes->max_err[l] = std::max(lanes->max_err[l], std::fabs(e));
    lanes->max_abs[l] = std::max(lanes->max_abs[l], std::fabs(v));
  }
}

#if defined(__SSE2__)
/// Whole groups of kLanes elements, two SSE vectors per accumulator; returns the first element not done.
int64_t row_error_simd(const float* x, const float* y, int64_t n, RowLanes* lanes) {
  static_assert(kLanes == 8, "two 4-float vectors per accumulator");
  const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7FFFFFFF));
  __m128 sse[2], sig[2], err[2], mag[2];
  for (int h = 0; h < 2; ++h) sse[h] = sig[h] = err[h] = mag[h] = _mm_setzero_ps();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int h = 0; h < 2; ++h) {
      const __m128 v = _mm_loadu_ps(x + i + 4 * h);
      const __m128 e = _mm_sub_ps(v, _mm_loadu_ps(y + i + 4 * h));
      sse[h] = _mm_add_ps(sse[h], _mm_mul_ps(e, e));
      sig[h] = _mm_add_ps(sig[h], _mm_mul_ps(v, v));
      err[h] = _mm_max_ps(err[h], _mm_and_ps(e, abs_mask));
      mag[h] = _mm_max_ps(mag[h], _mm_and_ps(v, abs_mask));
    }
  }
  for (int h = 0; h < 2; ++h) {
    _mm_storeu_ps(lanes->sse + 4 * h, sse[h]);
    _mm_storeu_ps(lanes->signal + 4 * h, sig[h]);
    _mm_storeu_ps(lanes->max_err + 4 * h, err[h]);
    _mm_storeu_ps(lanes->max_abs + 4 * h, mag[h]);
  }
  return i;
}
#else
int64_t row_error_simd(const float*, const float*, int64_t, RowLanes*) { return 0; }
#endif

/// Error of one row: float partial sums in kLanes lanes, combined in double (exact zero stays zero).
QuantMetrics row_error(const float* x, const float* y, int64_t n) {
  RowLanes lanes;
  row_error_scalar(x, y, row_error_simd(x, y, n, &lanes), n, &lanes);
  QuantMetrics m;
  m.num_weights = n;
  for (int l = 0; l < kLanes; ++l) {
    m.sse += lanes.sse[l];
    m.signal += lanes.signal[l];
    m.max_abs_error = std::max<double>(m.max_abs_error, lanes.max_err[l]);
    m.max_abs_value = std::max<double>(m.max_abs_value, lanes.max_abs[l]);
  }
  return m;
}

/// Error metrics of an encoded block against its source, on up to `threads` threads; per-row results are
/// summed in row order, so the figures do not depend on the thread count. (quantize()'s own metrics pass
/// accumulates every element in double: exact but about a third of the whole convert's CPU time.)
QuantMetrics block_metrics(const SourceMatrix& src, const EncodedTensor& enc, int threads) {
  std::vector<QuantMetrics> rows(static_cast<size_t>(src.rows));
  auto work = [&](int64_t begin, int64_t end) {
    std::vector<float> x(static_cast<size_t>(kMetricRows * src.cols)), y(x.size());
    for (int64_t r = begin; r < end; r += kMetricRows) {
      const int64_t stop = std::min(end, r + kMetricRows);
      for (int64_t k = r; k < stop; ++k) widen_row(src, k, x.data() + (k - r) * src.cols);
      dequantize_rows(enc, r, stop, y.data());
      for (int64_t k = r; k < stop; ++k) {
        const int64_t at = (k - r) * src.cols;
        rows[static_cast<size_t>(k)] = row_error(x.data() + at, y.data() + at, src.cols);
      }
    }
  };
  const int64_t split = threads > 1 && src.rows >= 2 * kMetricRows ? src.rows / 2 : src.rows;
  std::thread second;
  if (split < src.rows) second = std::thread(work, split, src.rows);
  work(0, split);
  if (second.joinable()) second.join();
  QuantMetrics total;
  for (const QuantMetrics& m : rows) add_metrics(&total, m);
  return total;
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
Result<StreamedTensor> stream_plain(const TensorInfo& info, const TensorDecision& decision,
                                    const TensorTarget& target) {
  StreamedTensor out;
  out.coverage.reason = decision.reason;
  out.coverage.bytes_before = out.coverage.bytes_after = info.num_bytes;
  out.stored_bytes = aligned(info.num_bytes);
  if (target.writer) {
    HFB_TRY(target.writer->begin_tensor(tensor_meta(info, target.chunk)));
    HFB_TRY(target.writer->begin_segment("data", target.file));
  }
  for (uint64_t at = 0; at < info.num_bytes; at += kConvertBlockBytes) {
    const uint64_t n = std::min(kConvertBlockBytes, info.num_bytes - at);
    HFB_TRY(ByteSpan span, info.source->read(info.offset + at, n));
    if (target.writer) HFB_TRY(target.writer->append(span));
    info.source->release(info.offset + at, n);
    if (target.on_bytes) target.on_bytes(at + n);
  }
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
    if (writer_ == nullptr) return ok_status();
    pending_ = std::move(codes);
    thread_ = std::thread([this] { status_ = writer_->append(ByteSpan{pending_.data(), pending_.size()}); });
    return ok_status();
  }
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
  add_metrics(&tail->metrics, block.metrics);
  return appender->push(std::move(block.codes));
}

Status write_part(const TensorTarget& target, const char* part, const std::vector<uint8_t>& bytes) {
  if (!target.writer || bytes.empty()) return ok_status();
  HFB_TRY(target.writer->begin_segment(part, target.file));
  HFB_TRY(target.writer->append(ByteSpan{bytes.data(), bytes.size()}));
  return target.writer->end_segment();
}

/// Quantizes rows [begin, end) of the tensor. `scratch` holds an aligned copy when the mapping is not.
Result<EncodedTensor> quantize_block(const TensorInfo& info, const TensorDecision& decision, int64_t cols,
                                     int64_t begin, int64_t end, std::vector<uint8_t>* scratch) {
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
  if (reinterpret_cast<uintptr_t>(span.data) % 4 != 0) {  // safetensors data need not be aligned
    scratch->assign(span.data, span.data + span.size);
    src.data = scratch->data();
  }
  QuantParams params = decision.params;
  params.compute_metrics = false;  // block_metrics below: same figures to float rounding, a third of the cost
  auto block = quantize(decision.scheme, src, params);
  if (!block.ok()) {  // row numbers in the message count from `begin`
    return std::move(block).error().with_context("in the block of rows [" + std::to_string(begin) + ", " +
                                                 std::to_string(end) + ")");
  }
  block->metrics = block_metrics(src, *block, params.num_threads);
  info.source->release(offset, size);  // the block's source pages are consumed
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
    HFB_TRY(EncodedTensor block, quantize_block(info, decision, cols, begin, end, &scratch));
    HFB_TRY(append_block(std::move(block), &appender, &tail));
    if (target.on_bytes) target.on_bytes(static_cast<uint64_t>(end) * row_bytes);
  }
  HFB_TRY(appender.wait());
  if (target.writer) HFB_TRY(target.writer->end_segment());
  HFB_TRY(write_part(target, "scales", tail.scales));
  HFB_TRY(write_part(target, "lut", tail.lut));
  if (target.writer) HFB_TRY(target.writer->end_tensor());
  StreamedTensor out;
  out.coverage.scheme = decision.scheme;
  out.coverage.reason = decision.reason;
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

Result<StreamedTensor> stream_tensor(const TensorInfo& info, const TensorDecision& decision,
                                     const TensorTarget& target) {
  if (!info.source) return Error(ErrorCode::kInternal, "tensor has no byte source").with_tensor(info.name);
  auto streamed = decision.scheme == Scheme::kNone ? stream_plain(info, decision, target)
                                                   : stream_encoded(info, decision, target);
  if (!streamed.ok()) return named(std::move(streamed).error(), info);
  streamed->coverage.name = info.name;
  streamed->coverage.role = info.role;
  streamed->coverage.tower = info.tower;
  return streamed;
}

}  // namespace hfb
