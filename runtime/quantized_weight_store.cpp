// QuantizedWeightStore, the encoded linear kernel, and the in-memory quantize -> run/verify path.
#include "runtime/quantized_weight_store.h"

#include <cblas.h>

#include <algorithm>
#include <thread>

#include "models/gemma4/text_graph_builder.h"
#include "models/load_checkpoint.h"
#include "runtime/graph_session.h"
#include "runtime/kernels.h"

namespace hfb {
namespace {

constexpr int64_t kTileRows = 64;                 // output rows decoded per sgemm tile (prefill)
constexpr int64_t kThreadedMatvecWeights = 1 << 18;  // split a decode matvec over two threads above this

bool is_plain_float(DType dtype) {
  return dtype.id() == DTypeId::kF32 || dtype.id() == DTypeId::kF16 || dtype.id() == DTypeId::kBF16;
}

}  // namespace

Result<std::unique_ptr<QuantizedWeightStore>> QuantizedWeightStore::create(const TensorTable& tensors,
                                                                           const QuantPolicy& policy) {
  HFB_TRY(QuantizedTable table, quantize_table(policy, tensors));
  auto store = std::make_unique<QuantizedWeightStore>();
  store->encoded_ = std::move(table.encoded);
  store->coverage_ = std::move(table.coverage);
  for (const TensorInfo& info : tensors.tensors()) {
    if (!info.used || !is_plain_float(info.dtype) || store->encoded_.count(info.name)) continue;
    HFB_TRY(std::vector<float> data, tensor_to_f32(info));
    store->put_float(info.name, info.shape.dims(), std::move(data));
  }
  return store;
}

void QuantizedWeightStore::put_encoded(EncodedTensor tensor) {
  std::string name = tensor.name;
  floats_.erase(name);
  encoded_[name] = std::move(tensor);
}

void QuantizedWeightStore::put_float(const std::string& tensor, std::vector<int64_t> dims, std::vector<float> data) {
  encoded_.erase(tensor);
  floats_[tensor] = FloatEntry{std::move(dims), std::move(data)};
}

Result<WeightView> QuantizedWeightStore::weight(const ValueInfo& initializer) const {
  auto enc = encoded_.find(initializer.tensor);
  if (enc != encoded_.end()) return WeightView{nullptr, enc->second.shape.dims(), &enc->second};
  auto flt = floats_.find(initializer.tensor);
  if (flt != floats_.end()) return WeightView{flt->second.data.data(), flt->second.dims, nullptr};
  return Error(ErrorCode::kNotFound, "weights: quantized store holds no data for initializer '" + initializer.name + "'")
      .with_tensor(initializer.tensor);
}

uint64_t QuantizedWeightStore::resident_bytes() const {
  uint64_t bytes = 0;
  for (const auto& [name, enc] : encoded_) bytes += enc.encoded_bytes();
  for (const auto& [name, entry] : floats_) bytes += entry.data.size() * sizeof(float);
  return bytes;
}

void kernel_linear_encoded(const float* x, int64_t rows, const EncodedTensor& w, float* y, std::vector<float>* scratch) {
  const int64_t out = w.rows;
  const int64_t in = w.cols;
  if (rows == 1) {
    if (out * in < kThreadedMatvecWeights || out < 2) {
      matvec_rows(w, x, 0, out, y);
      return;
    }
    const int64_t half = out / 2;
    std::thread second([&] { matvec_rows(w, x, half, out, y + half); });
    matvec_rows(w, x, 0, half, y);
    second.join();
    return;
  }
  const int64_t tile = std::min(kTileRows, out);
  if (static_cast<int64_t>(scratch->size()) < tile * in) scratch->resize(static_cast<size_t>(tile * in));
  blas_threads_for(rows * in * tile);
  for (int64_t begin = 0; begin < out; begin += tile) {
    const int64_t end = std::min(out, begin + tile);
    dequantize_rows(w, begin, end, scratch->data());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(end - begin),
                static_cast<int>(in), 1.0f, x, static_cast<int>(in), scratch->data(), static_cast<int>(in), 0.0f,
                y + begin, static_cast<int>(out));
  }
}

Result<ModelSession> open_quantized_model_session(const std::string& path, const QuantPolicy& policy,
                                                  CoverageReport* coverage) {
  HFB_TRY(Model model, load_checkpoint(path));
  HFB_TRY(std::unique_ptr<QuantizedWeightStore> store, QuantizedWeightStore::create(model.tensors, policy));
  if (coverage) *coverage = store->coverage();
  HFB_TRY(Graph graph, build_gemma4_text_graph(model.config, model.tensors));
  std::shared_ptr<const WeightStore> weights(std::move(store));
  ModelSession out;
  HFB_TRY(out.session, make_graph_session(graph, std::move(weights), model.config.text.num_hidden_layers));
  const ModelConfig& config = model.config;
  for (int id : config.generation.eos_token_ids) out.eos_ids.push_back(id);
  out.bos_id = config.generation.bos_token_id;
  out.reserved_ids = out.eos_ids;
  for (int id : {config.generation.bos_token_id, config.generation.pad_token_id, config.image_token_id,
                 config.audio_token_id, config.video_token_id}) {
    if (id >= 0) out.reserved_ids.push_back(id);
  }
  out.source = path;
  return out;
}

Result<ParityReport> verify_quantized_model(const std::string& model_path, const std::string& golden_dir,
                                            const QuantPolicy& policy, VerifyOptions options, CoverageReport* coverage) {
  HFB_TRY(Golden golden, load_golden(golden_dir));
  HFB_TRY(Golden selected, select_golden_cases(std::move(golden), options.cases));
  options.cases.clear();  // already applied
  if (options.model.empty()) options.model = model_path + " (quantized in memory)";
  HFB_TRY(ModelSession model, open_quantized_model_session(model_path, policy, coverage));
  return verify_against_golden(*model.session, selected, options);
}

}  // namespace hfb
