// QuantizedWeightStore: encoded (quantized) initializers the interpreter computes on directly, float32 for
// the rest; plus the in-memory convert -> run/verify path (`verify CKPT --quant SCHEME ...`).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "pipeline/open_model.h"
#include "quant/coverage.h"
#include "quant/policy.h"
#include "quant/scheme.h"
#include "runtime/weight_store.h"
#include "validators/parity.h"

namespace hfb {

class QuantizedWeightStore final : public WeightStore {
 public:
  /// Applies `policy` to every tensor of `tensors` (quantize_table) and views the used float tensors it
  /// keeps in their stored dtype (no copy). Fails like quantize_table and tensor_matrix_view (naming the tensor).
  static Result<std::unique_ptr<QuantizedWeightStore>> create(const TensorTable& tensors, const QuantPolicy& policy);
  /// Adds (or replaces) one encoded tensor (tests).
  void put_encoded(EncodedTensor tensor);
  /// Adds (or replaces) one float tensor (tests).
  void put_float(const std::string& tensor, std::vector<int64_t> dims, std::vector<float> data);
  /// An encoded view (data null, `encoded` set) or a float view. kNotFound naming the tensor otherwise.
  Result<WeightView> weight(const ValueInfo& initializer) const override;
  const CoverageReport& coverage() const { return coverage_; }
  /// Bytes of weights: encoded bytes + 4 per float32 weight put + the stored bytes of mapped float tensors.
  uint64_t resident_bytes() const;

 private:
  struct FloatEntry {
    std::vector<int64_t> dims;
    std::vector<float> data;
  };
  std::map<std::string, EncodedTensor> encoded_;
  struct MappedEntry {
    std::vector<int64_t> dims;
    MatrixView matrix;
    std::shared_ptr<const ByteSource> source;  ///< keeps the checkpoint mapping alive
  };
  std::map<std::string, FloatEntry> floats_;
  std::map<std::string, MappedEntry> mapped_;
  CoverageReport coverage_;
};

/// y[r, o] = sum_i x[r, i] * W[o, i] for an encoded W [out, in] and x [rows, in]: linear_matrix on its view
/// (runtime/matrix_linear.h).
void kernel_linear_encoded(const float* x, int64_t rows, const EncodedTensor& w, float* y);

/// A run/verify session over a checkpoint quantized in memory per `policy` (text graph). Fails like
/// load_checkpoint, QuantizedWeightStore::create and make_session. `coverage` (optional) receives the report.
Result<ModelSession> open_quantized_model_session(const std::string& path, const QuantPolicy& policy,
                                                  CoverageReport* coverage);

/// verify_model with the checkpoint quantized in memory first. Fails like verify_model and
/// open_quantized_model_session.
Result<ParityReport> verify_quantized_model(const std::string& model_path, const std::string& golden_dir,
                                            const QuantPolicy& policy, VerifyOptions options, CoverageReport* coverage);

}  // namespace hfb
