// quantize(): checks, parameter normalisation, dispatch to the scheme files, and error metrics.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "quant/policy.h"
#include "quant/quant_internal.h"
#include "quant/scheme.h"
#include "quant/scheme_traits.h"

namespace hfb {
namespace quant_internal {

void load_row(const SourceMatrix& src, int64_t row, float* out) {
  const int64_t n = src.cols;
  switch (src.dtype.id()) {
    case DTypeId::kF32:
      std::memcpy(out, static_cast<const float*>(src.data) + row * n, static_cast<size_t>(n) * 4);
      return;
    case DTypeId::kBF16: {
      const uint16_t* p = static_cast<const uint16_t*>(src.data) + row * n;
      for (int64_t i = 0; i < n; ++i) {
        const uint32_t bits = static_cast<uint32_t>(p[i]) << 16;
        std::memcpy(out + i, &bits, 4);
      }
      return;
    }
    case DTypeId::kF16: {
      const uint16_t* p = static_cast<const uint16_t*>(src.data) + row * n;
      for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(p[i]);
      return;
    }
    default:
      HFB_CHECK(false && "load_row: unsupported dtype");
  }
}

}  // namespace quant_internal

namespace {

using namespace quant_internal;

struct RowError {
  double sse = 0, signal = 0, max_err = 0, max_abs = 0;
};

}  // namespace

QuantMetrics quant_internal::measure_encoded(const SourceMatrix& src, const EncodedTensor& enc, int num_threads) {
  std::vector<RowError> per_row(static_cast<size_t>(src.rows));
  parallel_for(src.rows, num_threads, [&](int64_t begin, int64_t end) {
    std::vector<float> x(static_cast<size_t>(src.cols)), y(static_cast<size_t>(src.cols));
    for (int64_t r = begin; r < end; ++r) {
      load_row(src, r, x.data());
      dequantize_rows(enc, r, r + 1, y.data());
      RowError e;
      for (int64_t c = 0; c < src.cols; ++c) {
        const double xv = x[c], err = xv - static_cast<double>(y[c]);
        e.sse += err * err;
        e.signal += xv * xv;
        e.max_err = std::max(e.max_err, std::fabs(err));
        e.max_abs = std::max(e.max_abs, std::fabs(xv));
      }
      per_row[static_cast<size_t>(r)] = e;
    }
  });
  QuantMetrics m;
  m.num_weights = src.rows * src.cols;
  for (const RowError& e : per_row) {  // summed in row order: independent of the thread split
    m.sse += e.sse;
    m.signal += e.signal;
    m.max_abs_error = std::max(m.max_abs_error, e.max_err);
    m.max_abs_value = std::max(m.max_abs_value, e.max_abs);
  }
  return m;
}

namespace {

Result<EncodedTensor> run_quantize(Scheme scheme, const SourceMatrix& src, const QuantParams& params,
                                   bool reference) {
  HFB_TRY(check_quantizable(scheme, src, params));
  HFB_TRY(check_source_values(scheme, src, params));
  EncodedTensor out = quant_internal::encoded_shell(scheme, src, params);
  if (reference) out.params.num_threads = 1;
  Status st = scheme_traits(scheme).encode(src, reference, &out);
  if (!st.ok()) return std::move(st).error();
  out.params.num_threads = params.num_threads;
  if (params.compute_metrics) out.metrics = measure_encoded(src, out, reference ? 1 : params.num_threads);
  return out;
}

}  // namespace

Result<EncodedTensor> quantize(Scheme scheme, const SourceMatrix& src, const QuantParams& params) {
  return run_quantize(scheme, src, params, false);
}

Result<EncodedTensor> quantize_reference(Scheme scheme, const SourceMatrix& src, const QuantParams& params) {
  return run_quantize(scheme, src, params, true);
}

Result<EncodedTensor> quantize(Scheme scheme, const TensorInfo& info, const QuantParams& params) {
  if (!info.source) return Error(ErrorCode::kInternal, "tensor has no byte source").with_tensor(info.name);
  const DTypeId d = info.dtype.id();
  if (d != DTypeId::kF32 && d != DTypeId::kF16 && d != DTypeId::kBF16) {
    return Error(ErrorCode::kUnsupported, "cannot quantize dtype " + std::string(info.dtype.name()) +
                                              " (expected F32, F16 or BF16)")
        .with_tensor(info.name);
  }
  auto expected = info.shape.num_bytes(info.dtype);
  if (!expected || *expected != info.num_bytes) {
    return Error(ErrorCode::kInvalidFile, "data span " + std::to_string(info.num_bytes) + " bytes, expected " +
                                              std::to_string(expected.value_or(0)) + " (" +
                                              std::string(info.dtype.name()) + " " + info.shape.to_string() + ")")
        .with_tensor(info.name)
        .with_path(info.source->path());
  }
  HFB_TRY(ByteSpan span, info.source->read(info.offset, info.num_bytes));
  SourceMatrix src;
  src.data = span.data;
  src.dtype = info.dtype;
  std::tie(src.rows, src.cols) = matrix_view(info.shape);
  src.name = info.name;
  // Safetensors data is not necessarily aligned for 2/4-byte loads; copy if needed.
  std::vector<uint8_t> aligned;
  if (reinterpret_cast<uintptr_t>(span.data) % 4 != 0) {
    aligned.assign(span.data, span.data + span.size);
    src.data = aligned.data();
  }
  HFB_TRY(EncodedTensor enc, quantize(scheme, src, params));
  enc.shape = info.shape;
  return enc;
}

QuantParams normalize_params(Scheme scheme, int64_t rows, int64_t cols, QuantParams p) {
  if (scheme == Scheme::kInt8 || scheme == Scheme::kInt4) {
    if (p.per_tensor || p.block_size >= cols) p.block_size = 0;
  } else {
    p.block_size = 0;
  }
  if (scheme == Scheme::kKmeans4 || scheme == Scheme::kKmeans8) {
    if (p.per_tensor || p.group_size > rows) p.group_size = rows;
    p.per_tensor = p.group_size == rows;
  } else {
    p.group_size = 0;
    p.per_channel_scale = false;
  }
  if (scheme == Scheme::kNone || scheme == Scheme::kQ4_0 || scheme == Scheme::kQ8_0) {
    p.per_tensor = false;
    p.f32_scales = false;
  }
  return p;
}

namespace quant_internal {

EncodedTensor encoded_shell(Scheme scheme, const SourceMatrix& src, const QuantParams& params) {
  EncodedTensor out;
  out.scheme = scheme;
  out.name = src.name;
  out.shape = Shape({src.rows, src.cols});
  out.rows = src.rows;
  out.cols = src.cols;
  out.params = normalize_params(scheme, src.rows, src.cols, params);
  return out;
}

}  // namespace quant_internal
}  // namespace hfb
