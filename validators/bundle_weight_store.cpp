// BundleWeightStore: bundle tensors -> float32 or EncodedTensor, once, for the graph interpreter.
#include "validators/bundle_weight_store.h"

#include <algorithm>
#include <cstring>

namespace hfb {
namespace {

Result<std::vector<uint8_t>> segment_bytes(const BundleTensor& tensor, const std::string& part, bool required) {
  const BundleSegmentView* segment = tensor.segment(part);
  if (segment == nullptr) {
    if (!required) return std::vector<uint8_t>();
    return Error(ErrorCode::kInvalidFile, "scheme " + tensor.scheme + " tensor has no '" + part + "' segment")
        .with_tensor(tensor.info.name);
  }
  HFB_TRY(ByteSpan span, segment->source->read(segment->offset, segment->length));
  return std::vector<uint8_t>(span.data, span.data + span.size);
}

bool is_widenable(DType dtype) {
  return dtype.id() == DTypeId::kF32 || dtype.id() == DTypeId::kF16 || dtype.id() == DTypeId::kBF16;
}

Error shape_mismatch(const ValueInfo& value, const std::vector<int64_t>& dims) {
  return Error(ErrorCode::kInvalidFile, "initializer '" + value.name + "': the bundle stores shape " +
                                            dims_to_string(dims) + ", the graph expects " +
                                            dims_to_string(value.dims))
      .with_tensor(value.tensor);
}

/// Scheme tensors ("codes", "scales", "lut") and plain ggml-block tensors (one "data" segment of blocks) as
/// the EncodedTensor the interpreter computes on.
Result<EncodedTensor> encoded_tensor(const BundleTensor& tensor) {
  std::string scheme_text = tensor.scheme;
  if (scheme_text.empty() && tensor.info.dtype == DType(DTypeId::kQ4_0)) scheme_text = "q4_0";
  if (scheme_text.empty() && tensor.info.dtype == DType(DTypeId::kQ8_0)) scheme_text = "q8_0";
  auto scheme = parse_scheme(scheme_text);
  if (!scheme.ok()) return Error(ErrorCode::kUnsupported, scheme.error().message).with_tensor(tensor.info.name);
  EncodedTensor enc;
  enc.scheme = *scheme;
  enc.name = tensor.info.name;
  enc.shape = tensor.info.shape;
  const std::vector<int64_t>& dims = tensor.info.shape.dims();
  const uint64_t elements = tensor.info.shape.num_elements().value_or(0);
  enc.rows = dims.size() >= 2 ? dims[0] : 1;
  enc.cols = enc.rows > 0 ? static_cast<int64_t>(elements / static_cast<uint64_t>(enc.rows)) : 0;
  enc.params.block_size = tensor.block_size;
  // kmeans: group_size rows per LUT, the whole tensor when per_tensor (as quantize() normalises it).
  enc.params.group_size = tensor.group_size > 0 && !tensor.per_tensor
                              ? std::min<int64_t>(tensor.group_size, enc.rows) : enc.rows;
  enc.params.per_tensor = tensor.per_tensor;
  enc.params.f32_scales = tensor.scale_dtype == "F32";
  enc.params.per_channel_scale = tensor.per_channel_scale;
  enc.params.compute_metrics = false;
  HFB_TRY(enc.codes, segment_bytes(tensor, tensor.scheme.empty() ? "data" : "codes", true));
  HFB_TRY(enc.scales, segment_bytes(tensor, "scales", false));
  HFB_TRY(std::vector<uint8_t> lut, segment_bytes(tensor, "lut", false));
  if (lut.size() % sizeof(float) != 0) {
    return Error(ErrorCode::kInvalidFile, "lut segment of " + std::to_string(lut.size()) +
                                              " bytes is not a whole number of f32 entries")
        .with_tensor(tensor.info.name);
  }
  enc.lut.resize(lut.size() / sizeof(float));
  if (!lut.empty()) std::memcpy(enc.lut.data(), lut.data(), lut.size());
  HFB_TRY(validate_encoded(enc));
  return enc;
}

}  // namespace

Status BundleWeightStore::load(const BundleTensor& tensor) {
  const std::string& name = tensor.info.name;
  if (encoded_.count(name) || floats_.count(name)) return ok_status();
  if (!tensor.scheme.empty() || tensor.info.dtype.is_quantized()) {
    HFB_TRY(EncodedTensor enc, encoded_tensor(tensor));
    encoded_[name] = std::move(enc);
    return ok_status();
  }
  HFB_TRY(std::vector<float> data, tensor_to_f32(tensor.info));
  floats_[name] = FloatEntry{tensor.info.shape.dims(), std::move(data)};
  return ok_status();
}

Result<std::unique_ptr<BundleWeightStore>> BundleWeightStore::create(const Bundle& bundle, const Graph* graph) {
  std::unique_ptr<BundleWeightStore> store(new BundleWeightStore());
  if (graph == nullptr) {
    for (const BundleTensor& tensor : bundle.tensors()) {
      if (tensor.scheme.empty() && !tensor.info.dtype.is_quantized() && !is_widenable(tensor.info.dtype)) continue;  // e.g. I64 tables no graph reads
      HFB_TRY(store->load(tensor));
    }
    return store;
  }
  for (const ValueInfo& value : graph->data().values) {
    if (value.kind != ValueKind::kInitializer) continue;
    const BundleTensor* tensor = bundle.find(value.tensor);
    if (tensor == nullptr) {
      return Error(ErrorCode::kNotFound, "initializer '" + value.name + "' reads a tensor the bundle does not store")
          .with_tensor(value.tensor)
          .with_path(bundle.path());
    }
    if (tensor->info.shape.dims() != value.dims) return shape_mismatch(value, tensor->info.shape.dims());
    HFB_TRY(store->load(*tensor));
  }
  return store;
}

Result<WeightView> BundleWeightStore::weight(const ValueInfo& initializer) const {
  auto enc = encoded_.find(initializer.tensor);
  if (enc != encoded_.end()) return WeightView{nullptr, enc->second.shape.dims(), &enc->second};
  auto flt = floats_.find(initializer.tensor);
  if (flt != floats_.end()) return WeightView{flt->second.data.data(), flt->second.dims, nullptr};
  return Error(ErrorCode::kNotFound, "weights: the bundle store holds no data for initializer '" + initializer.name +
                                         "'")
      .with_tensor(initializer.tensor);
}

}  // namespace hfb
