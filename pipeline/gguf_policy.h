// The GGUF export policy: which ggml type each tensor gets (F32/F16/BF16/Q4_0/Q8_0), and why. Schemes without a
// ggml type are refused before anything is written, naming the tensors and the nearest ggml type. docs/gguf.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "formats/gguf_format.h"
#include "models/gguf_tensor_map.h"
#include "quant/policy.h"

namespace hfb {

/// What the user asked for: --quant f32|f16|bf16|q4_0|q8_0 (plus none = keep the checkpoint's float type where
/// ggml has it), --tensor-type / --role-type overrides with bundle scheme names (none, q4_0, q8_0; the others are
/// refused by name).
struct GgufPolicyOptions {
  std::string quant = "f32";  ///< f32 | f16 | bf16 | none | q4_0 | q8_0 (int8, int4, kmeans*: refused)
  std::vector<std::pair<std::string, Scheme>> tensor_types;  ///< HF-name regex = scheme, first match wins
  std::vector<std::pair<Role, Scheme>> role_types;
};

/// One tensor's ggml type.
struct GgufDecision {
  gguf::GgmlType type = gguf::GgmlType::kF32;
  Scheme scheme = Scheme::kNone;  ///< kQ4_0 / kQ8_0 when quantized, else kNone (a float conversion)
  std::string reason;             ///< printed in the coverage
  bool fallback = false;          ///< a quantized type could not take the shape (rows not a multiple of 32)
};

class GgufPolicy {
 public:
  /// Fails with kInvalidArgument for an unknown --quant (naming the valid ones), a --quant without a ggml type
  /// (int8 -> nearest q8_0, ...), or an invalid regex.
  static Result<GgufPolicy> create(const GgufPolicyOptions& options);
  GgufPolicy(GgufPolicy&&) noexcept;
  GgufPolicy& operator=(GgufPolicy&&) noexcept;
  ~GgufPolicy();

  /// The type of `info` (a used tensor of the checkpoint) written as `name`. F32 for every tensor llama.cpp needs
  /// in F32 (rank <= 1, norms, scalars, clip bounds, the MoE router, position table / audio convs); the token
  /// embedding and PLE table q8_0 when --quant is q4_0/q8_0; per_layer_model_proj kept float (llama-quantize never
  /// quantizes it); a quantized type whose ne[0] is not a multiple of 32 falls back to F16. kInvalidArgument
  /// naming the tensor when an override asks for a scheme without a ggml type (the caller collects these).
  Result<GgufDecision> decide(const TensorInfo& info, const GgufTensorName& name,
                              const std::vector<int64_t>& ne) const;

  /// The float type of float tensors (F32 for --quant none/q4_0/q8_0 unless the source is F16/BF16 with none).
  gguf::GgmlType float_type(DType source) const;
  /// llama.cpp's general.file_type for the global choice (0 F32, 1 F16, 32 BF16, 2 Q4_0, 7 Q8_0).
  uint32_t file_type() const;
  /// "f32", "q4_0", ...: what --quant was.
  const std::string& quant() const;

 private:
  GgufPolicy() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The ggml type nearest to a scheme without one (int8/kmeans8 -> Q8_0, int4/kmeans4 -> Q4_0), for messages.
const char* nearest_ggml_type(Scheme scheme);

}  // namespace hfb
