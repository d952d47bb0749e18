// Block converters of the GGUF export: float -> F32/F16/BF16 (with the mmproj transforms), float -> q4_0/q8_0,
// encoded blocks copied as they are.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/interrupt.h"
#include "pipeline/convert_stream.h"
#include "pipeline/gguf_export_internal.h"
#include "quant/matrix_view.h"
#include "quant/nonfinite_rule.h"

namespace hfb::gguf_export_detail {
namespace {

using gguf::GgmlType;

float load(const uint8_t* p, DTypeId dtype) {
  if (dtype == DTypeId::kF32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, p, 2);
  return dtype == DTypeId::kF16 ? f16_to_f32(h) : bf16_to_f32(h);
}

void store(float v, GgmlType type, uint8_t* out) {
  if (type == GgmlType::kF32) {
    std::memcpy(out, &v, 4);
    return;
  }
  const uint16_t h = type == GgmlType::kF16 ? f32_to_f16(v) : f32_to_bf16(v);
  std::memcpy(out, &h, 2);
}

uint32_t type_bytes(GgmlType type) { return type == GgmlType::kF32 ? 4 : 2; }

/// softplus as llama.cpp's converter computes it: torch's log1p(exp(x)) in float32 arithmetic (threshold 20).
float softplus(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }

/// One row of the vision patch projection: HF (p, p, 3) order -> ggml's (3, p, p).
void permute_patch_row(const std::vector<float>& in, int64_t begin, int64_t cols, std::vector<float>* out) {
  const int64_t pp = cols / 3;
  for (int64_t i = 0; i < pp; ++i) {
    for (int64_t c = 0; c < 3; ++c) (*out)[begin + c * pp + i] = in[begin + i * 3 + c];
  }
}

bool passes_bytes_through(const TensorInfo& info, GgmlType target, GgufTransform transform) {
  const bool same_bytes = transform == GgufTransform::kNone || transform == GgufTransform::kScalarToVector ||
                          transform == GgufTransform::kSqueezeMiddle;
  return same_bytes && gguf::ggml_type_for(info.dtype.id()) == target;
}

Status check_finite(const TensorInfo& info, const uint8_t* data, uint64_t count, uint64_t first_element) {
  const int64_t bad = first_nonfinite(data, info.dtype, static_cast<int64_t>(count));
  if (bad < 0) return ok_status();
  return Error(ErrorCode::kInvalidArgument, "non-finite weight (inf or NaN) at element " +
                                                std::to_string(first_element + static_cast<uint64_t>(bad)) +
                                                " (--allow-nonfinite writes it as it is)")
      .with_tensor(info.name);
}

}  // namespace

Status stream_float(const TensorInfo& info, GgmlType target, GgufTransform transform, bool allow_nonfinite,
                    const ByteSink& sink, const BytesDone& done) {
  const DTypeId dtype = info.dtype.id();
  if (dtype != DTypeId::kF32 && dtype != DTypeId::kF16 && dtype != DTypeId::kBF16) {
    return Error(ErrorCode::kUnsupported, "dtype " + std::string(info.dtype.name()) + " cannot be written as a "
                                              "GGUF float tensor").with_tensor(info.name);
  }
  const uint64_t element = info.dtype.block_bytes();
  const int64_t cols = std::max<int64_t>(1, matrix_view(info.shape).second);
  const uint64_t row_bytes = static_cast<uint64_t>(cols) * element;
  const uint64_t block = std::max<uint64_t>(1, kConvertBlockBytes / row_bytes) * row_bytes;
  const bool raw = passes_bytes_through(info, target, transform);
  std::vector<float> values;
  std::vector<float> permuted;
  std::vector<uint8_t> out;
  for (uint64_t at = 0; at < info.num_bytes; at += block) {
    const uint64_t n = std::min(block, info.num_bytes - at);
    HFB_TRY(ByteSpan span, info.source->read(info.offset + at, n));
    const uint64_t count = n / element;
    if (!allow_nonfinite) HFB_TRY(check_finite(info, span.data, count, at / element));
    if (raw) {
      HFB_TRY(sink(span.data, n));
    } else {
      values.resize(count);
      for (uint64_t i = 0; i < count; ++i) values[i] = load(span.data + i * element, dtype);
      if (transform == GgufTransform::kSoftplus) {
        for (float& v : values) v = softplus(v);
      } else if (transform == GgufTransform::kPatchPermute) {
        permuted.resize(count);
        for (uint64_t r = 0; r < count; r += static_cast<uint64_t>(cols)) {
          permute_patch_row(values, static_cast<int64_t>(r), cols, &permuted);
        }
        values.swap(permuted);
      }
      out.resize(count * type_bytes(target));
      for (uint64_t i = 0; i < count; ++i) store(values[i], target, out.data() + i * type_bytes(target));
      HFB_TRY(sink(out.data(), out.size()));
    }
    HFB_TRY(info.source->check_intact());
    info.source->release(info.offset + at, n);
    if (done) done(at + n);
    HFB_TRY(check_interrupted());
  }
  return ok_status();
}

Result<std::optional<QuantMetrics>> stream_blocks(const TensorInfo& info, GgmlType target, Scheme scheme,
                                                  const QuantParams& params, const ByteSink& sink,
                                                  const BytesDone& done) {
  const auto [rows, cols] = matrix_view(info.shape);
  const DTypeId dtype = info.dtype.id();
  if ((dtype != DTypeId::kQ4_0 && dtype != DTypeId::kQ8_0) || cols % info.dtype.block_size() != 0) {
    return Error(ErrorCode::kUnsupported, "dtype " + std::string(info.dtype.name()) + " cannot be written to a GGUF")
        .with_tensor(info.name);
  }
  const uint64_t row_bytes = static_cast<uint64_t>(cols) / info.dtype.block_size() * info.dtype.block_bytes();
  if (gguf::ggml_type_for(dtype) == target) {  // the source's blocks, byte for byte
    HFB_TRY(stream_bytes(*info.source, info.offset, row_bytes * static_cast<uint64_t>(rows), sink, done));
    return std::optional<QuantMetrics>();
  }
  const int64_t block_rows = std::max<int64_t>(1, static_cast<int64_t>(kConvertBlockBytes / std::max<uint64_t>(1, row_bytes)));
  std::optional<QuantMetrics> metrics;
  std::vector<float> values;
  std::vector<uint8_t> out;
  for (int64_t begin = 0; begin < rows; begin += block_rows) {
    const int64_t end = std::min(rows, begin + block_rows);
    const uint64_t offset = info.offset + static_cast<uint64_t>(begin) * row_bytes;
    const uint64_t size = static_cast<uint64_t>(end - begin) * row_bytes;
    HFB_TRY(ByteSpan span, info.source->read(offset, size));
    values.resize(static_cast<size_t>((end - begin) * cols));
    MatrixView blocks;  // the mapped rows as they are; decoded as ggml's dequantize_row_* does (bit for bit)
    blocks.format = dtype == DTypeId::kQ4_0 ? RowFormat::kQ4_0 : RowFormat::kQ8_0;
    blocks.rows = end - begin;
    blocks.cols = cols;
    blocks.row_stride = static_cast<int64_t>(row_bytes);
    blocks.codes = span.data;
    matrix_decode_rows(blocks, 0, end - begin, values.data());
    if (scheme != Scheme::kNone) {
      SourceMatrix src{reinterpret_cast<const uint8_t*>(values.data()), DTypeId::kF32, end - begin, cols, info.name,
                       begin};
      auto encoded = quantize(scheme, src, params);
      if (!encoded.ok()) return std::move(encoded).error().with_tensor(info.name);
      if (!metrics) metrics.emplace();
      metrics->add(encoded->metrics);
      HFB_TRY(sink(encoded->codes.data(), encoded->codes.size()));
    } else {
      out.resize(values.size() * type_bytes(target));
      for (size_t i = 0; i < values.size(); ++i) store(values[i], target, out.data() + i * type_bytes(target));
      HFB_TRY(sink(out.data(), out.size()));
    }
    HFB_TRY(info.source->check_intact());
    info.source->release(offset, size);
    if (done) done(static_cast<uint64_t>(end) * row_bytes);
    HFB_TRY(check_interrupted());
  }
  return metrics;
}

Result<QuantMetrics> stream_quantized(const TensorInfo& info, Scheme scheme, const QuantParams& params,
                                      const ByteSink& sink, const BytesDone& done) {
  const auto [rows, cols] = matrix_view(info.shape);
  const uint64_t row_bytes = static_cast<uint64_t>(cols) * info.dtype.block_bytes();
  const int64_t block_rows = std::max<int64_t>(1, static_cast<int64_t>(kConvertBlockBytes / std::max<uint64_t>(1, row_bytes)));
  QuantMetrics metrics;
  std::vector<uint8_t> scratch;
  for (int64_t begin = 0; begin < rows; begin += block_rows) {
    const int64_t end = std::min(rows, begin + block_rows);
    const uint64_t offset = info.offset + static_cast<uint64_t>(begin) * row_bytes;
    const uint64_t size = static_cast<uint64_t>(end - begin) * row_bytes;
    HFB_TRY(ByteSpan span, info.source->read(offset, size));
    SourceMatrix src{span.data, info.dtype, end - begin, cols, info.name, begin};
    if (reinterpret_cast<uintptr_t>(span.data) % 4 != 0) {  // safetensors data need not be aligned
      scratch.assign(span.data, span.data + span.size);
      src.data = scratch.data();
    }
    auto encoded = quantize(scheme, src, params);
    if (!encoded.ok()) return std::move(encoded).error().with_tensor(info.name);
    metrics.add(encoded->metrics);
    HFB_TRY(sink(encoded->codes.data(), encoded->codes.size()));  // q4_0/q8_0 codes are whole ggml blocks
    HFB_TRY(info.source->check_intact());
    info.source->release(offset, size);
    if (done) done(static_cast<uint64_t>(end) * row_bytes);
    HFB_TRY(check_interrupted());
  }
  return metrics;
}

Status stream_bytes(const ByteSource& source, uint64_t offset, uint64_t size, const ByteSink& sink,
                    const BytesDone& done) {
  for (uint64_t at = 0; at < size; at += kConvertBlockBytes) {
    const uint64_t n = std::min(kConvertBlockBytes, size - at);
    HFB_TRY(ByteSpan span, source.read(offset + at, n));
    HFB_TRY(sink(span.data, n));
    source.release(offset + at, n);
    if (done) done(at + n);
    HFB_TRY(check_interrupted());
  }
  return ok_status();
}

std::vector<uint8_t> encode_values(const std::vector<float>& values, GgmlType target) {
  std::vector<uint8_t> out(values.size() * type_bytes(target));
  for (size_t i = 0; i < values.size(); ++i) store(values[i], target, out.data() + i * type_bytes(target));
  return out;
}

Result<PlannedTensor> plan_from_float(const TensorInfo& info, const GgufTensorName& name,
                                      std::vector<int64_t> ne, GgufDecision decision,
                                      const GgufExportOptions& options) {
  if (decision.scheme != Scheme::kNone && options.allow_nonfinite) {
    HFB_TRY(int64_t nonfinite, count_nonfinite(info));
    if (nonfinite > 0) {  // a quantizer never turns non-finite values into finite ones: keep the stored type
      decision.reason = kept_float_reason(nonfinite, decision.scheme);
      decision.type = gguf::ggml_type_for(info.dtype.id()).value_or(gguf::GgmlType::kF32);
      decision.scheme = Scheme::kNone;
      decision.fallback = true;
    }
  }
  PlannedTensor p;
  p.coverage.source_name = info.name;
  p.coverage.gguf_name = name.name;
  p.coverage.file = name.file == GgufFileKind::kText ? "model" : "mmproj";
  p.coverage.type = gguf::ggml_type_traits(static_cast<int32_t>(decision.type))->name;
  p.coverage.reason = decision.reason;
  p.coverage.role = info.role;
  p.coverage.fallback = decision.fallback;
  p.coverage.bytes_before = info.num_bytes;
  p.ne = std::move(ne);
  p.type = decision.type;
  const TensorInfo* source = &info;
  const GgufDecision d = decision;
  const GgufTransform transform = name.transform;
  QuantParams params;
  params.allow_nonfinite = options.allow_nonfinite;
  params.num_threads = std::max(1, options.num_threads);
  if (info.dtype.is_quantized() && gguf::ggml_type_for(info.dtype.id()) != decision.type) {
    p.coverage.reason += "; decoded from the source's " + std::string(info.dtype.name()) + " blocks and re-encoded";
  }
  p.produce = [source, d, transform, params](const ByteSink& sink,
                                             const BytesDone& done) -> Result<std::optional<QuantMetrics>> {
    if (source->dtype.is_quantized()) return stream_blocks(*source, d.type, d.scheme, params, sink, done);
    if (d.scheme != Scheme::kNone) {
      HFB_TRY(QuantMetrics m, stream_quantized(*source, d.scheme, params, sink, done));
      return std::optional<QuantMetrics>(m);
    }
    HFB_TRY(stream_float(*source, d.type, transform, params.allow_nonfinite, sink, done));
    return std::optional<QuantMetrics>();
  };
  return p;
}

}  // namespace hfb::gguf_export_detail
