// QuantizedWeightStore, the encoded linear kernel, and the in-memory quantize -> run/verify path.
#include "runtime/quantized_weight_store.h"

#include <algorithm>

#include "models/gemma4/text_graph_builder.h"
#include "models/load_checkpoint.h"
#include "runtime/graph_session.h"
#include "runtime/kernels.h"
#include "runtime/mapped_weight_store.h"
#include "runtime/matrix_linear.h"

namespace hfb {
namespace {

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
    HFB_TRY(MatrixView view, tensor_matrix_view(info));  // computed on as stored, from the mapped file
    store->mapped_[info.name] = MappedEntry{info.shape.dims(), view, info.source};
  }
  return store;
}

void QuantizedWeightStore::put_encoded(EncodedTensor tensor) {
  std::string name = tensor.name;
  floats_.erase(name);
  mapped_.erase(name);
  encoded_[name] = std::move(tensor);
}

void QuantizedWeightStore::put_float(const std::string& tensor, std::vector<int64_t> dims, std::vector<float> data) {
  encoded_.erase(tensor);
  mapped_.erase(tensor);
  floats_[tensor] = FloatEntry{std::move(dims), std::move(data)};
}

Result<WeightView> QuantizedWeightStore::weight(const ValueInfo& initializer) const {
  auto enc = encoded_.find(initializer.tensor);
  if (enc != encoded_.end()) return WeightView{nullptr, enc->second.shape.dims(), &enc->second};
  auto flt = floats_.find(initializer.tensor);
  if (flt != floats_.end()) return WeightView{flt->second.data.data(), flt->second.dims, nullptr};
  auto mapped = mapped_.find(initializer.tensor);
  if (mapped != mapped_.end()) {
    WeightView view;
    view.dims = mapped->second.dims;
    view.matrix = mapped->second.matrix;
    return view;
  }
  return Error(ErrorCode::kNotFound, "weights: quantized store holds no data for initializer '" + initializer.name + "'")
      .with_tensor(initializer.tensor);
}

uint64_t QuantizedWeightStore::resident_bytes() const {
  uint64_t bytes = 0;
  for (const auto& [name, enc] : encoded_) bytes += enc.encoded_bytes();
  for (const auto& [name, entry] : floats_) bytes += entry.data.size() * sizeof(float);
  for (const auto& [name, entry] : mapped_) bytes += entry.matrix.bytes();
  return bytes;
}

void kernel_linear_encoded(const float* x, int64_t rows, const EncodedTensor& w, float* y) {
  linear_matrix(x, rows, matrix_view(w), y);
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
