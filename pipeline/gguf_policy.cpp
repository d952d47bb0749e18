// GgufPolicy: F32 where llama.cpp needs it, overrides, the GGUF defaults (q8_0 tables), the F16 shape fallback.
#include "pipeline/gguf_policy.h"

#include <regex>

#include "quant/regex_guard.h"

namespace hfb {
namespace {

using gguf::GgmlType;

constexpr int64_t kGgmlBlock = 32;  // Q4_0 and Q8_0 blocks

struct FloatChoice {
  const char* name;
  GgmlType type;
  uint32_t file_type;
};
constexpr FloatChoice kFloatChoices[] = {{"f32", GgmlType::kF32, 0}, {"f16", GgmlType::kF16, 1},
                                         {"bf16", GgmlType::kBF16, 32}};

std::optional<GgmlType> ggml_type_of(Scheme scheme) {
  if (scheme == Scheme::kQ4_0) return GgmlType::kQ4_0;
  if (scheme == Scheme::kQ8_0) return GgmlType::kQ8_0;
  return std::nullopt;
}

/// Why llama.cpp needs this tensor in F32 ("" when it does not).
std::string f32_reason(const TensorInfo& info, const GgufTensorName& name,
                       const std::vector<int64_t>& ne) {
  if (role_is_norm(info.role)) return "norm: F32 (llama.cpp's CPU binary ops need F32 norms)";
  switch (info.role) {
    case Role::kLayerScalar: return "layer scalar: F32 (llama.cpp needs it F32)";
    case Role::kClipBound: return "clip bound: F32 scalar";
    case Role::kMoeRouter: return "MoE router: F32 (as llama.cpp's converter keeps ffn_gate_inp)";
    case Role::kMoeExpertScale: return "MoE per-expert scale: F32";
    case Role::kAudioDepthwiseConv: return "audio depthwise conv kernel: F32";
    default: break;
  }
  if (name.force_f32) return "F32 (llama.cpp's converter forces it for this tensor)";
  if (ne.size() <= 1) return "vector: F32 (llama.cpp's converter writes every 1-D tensor as F32)";
  return "";
}

}  // namespace

struct GgufPolicy::Impl {
  std::string quant;
  std::optional<GgmlType> float_type;  ///< nullopt: keep the source's float type (--quant none)
  std::optional<Scheme> global;        ///< q4_0 / q8_0
  std::vector<std::pair<std::regex, Scheme>> tensor_types;
  std::vector<std::string> tensor_patterns;
  std::vector<std::pair<Role, Scheme>> role_types;
};

const char* nearest_ggml_type(Scheme scheme) {
  switch (scheme) {
    case Scheme::kInt8:
    case Scheme::kKmeans8: return "q8_0";
    case Scheme::kInt4:
    case Scheme::kKmeans4: return "q4_0";
    default: return "f32";
  }
}

GgufPolicy::GgufPolicy(GgufPolicy&&) noexcept = default;
GgufPolicy& GgufPolicy::operator=(GgufPolicy&&) noexcept = default;
GgufPolicy::~GgufPolicy() = default;

Result<GgufPolicy> GgufPolicy::create(const GgufPolicyOptions& options) {
  GgufPolicy policy;
  policy.impl_ = std::make_unique<Impl>();
  Impl& impl = *policy.impl_;
  impl.quant = options.quant;
  bool known = options.quant == "none";
  for (const FloatChoice& c : kFloatChoices) {
    if (options.quant == c.name) impl.float_type = c.type, known = true;
  }
  if (!known) {
    auto scheme = parse_scheme(options.quant);
    if (!scheme.ok()) {
      return Error(ErrorCode::kInvalidArgument,
                   "--format gguf: --quant '" + options.quant + "' is not one of f32, f16, bf16, none, q4_0, q8_0");
    }
    if (!ggml_type_of(*scheme)) {
      return Error(ErrorCode::kInvalidArgument, "--format gguf: --quant " + options.quant +
                                                    " has no ggml type (nearest: " + nearest_ggml_type(*scheme) +
                                                    "); GGUF takes f32, f16, bf16, q4_0, q8_0");
    }
    impl.global = *scheme;
    impl.float_type = GgmlType::kF32;
  }
  for (const auto& [pattern, scheme] : options.tensor_types) {
    HFB_TRY(check_regex_bounded(pattern));
    try {
      impl.tensor_types.emplace_back(std::regex(pattern), scheme);
    } catch (const std::regex_error& e) {
      return Error(ErrorCode::kInvalidArgument, "--tensor-type: invalid regex '" + pattern + "': " + e.what());
    }
    impl.tensor_patterns.push_back(pattern);
  }
  impl.role_types = options.role_types;
  return policy;
}

GgmlType GgufPolicy::float_type(DType source) const {
  if (impl_->float_type) return *impl_->float_type;
  return gguf::ggml_type_for(source.id()).value_or(GgmlType::kF32);
}

uint32_t GgufPolicy::file_type() const {
  if (impl_->global) return *impl_->global == Scheme::kQ4_0 ? 2 : 7;
  for (const FloatChoice& c : kFloatChoices) {
    if (impl_->float_type == c.type) return c.file_type;
  }
  return 0;
}

const std::string& GgufPolicy::quant() const { return impl_->quant; }

Result<GgufDecision> GgufPolicy::decide(const TensorInfo& info, const GgufTensorName& name,
                                        const std::vector<int64_t>& ne) const {
  GgufDecision d;
  if (std::string why = f32_reason(info, name, ne); !why.empty()) {
    d.reason = std::move(why);
    return d;
  }
  std::optional<Scheme> requested;
  std::string reason;
  for (size_t i = 0; i < impl_->tensor_types.size() && !requested; ++i) {
    if (!std::regex_match(info.name, impl_->tensor_types[i].first)) continue;
    requested = impl_->tensor_types[i].second;
    reason = "--tensor-type " + impl_->tensor_patterns[i] + "=" + std::string(scheme_name(*requested));
  }
  for (const auto& [role, scheme] : impl_->role_types) {
    if (requested || role != info.role) continue;
    requested = scheme;
    reason = "--role-type " + std::string(role_name(role)) + "=" + std::string(scheme_name(scheme));
  }
  if (!requested && impl_->global) {
    if ((info.role == Role::kTokenEmbedding || info.role == Role::kPleTable) && info.dtype.id() == DTypeId::kQ4_0) {
      requested = Scheme::kQ4_0;
      reason = std::string(role_name(info.role)) + ": the source stores q4_0 blocks, kept (q8_0 of them adds bytes, "
                                                   "not precision)";
    } else if (info.role == Role::kTokenEmbedding || info.role == Role::kPleTable) {
      requested = Scheme::kQ8_0;
      reason = std::string(role_name(info.role)) + ": q8_0 by the GGUF default policy (4-bit tables break generation)";
    } else if (info.role == Role::kPleProjection) {
      reason = "per_layer_model_proj: kept float (llama-quantize never quantizes it)";
    } else if (name.file == GgufFileKind::kMmproj) {
      reason = "mmproj tensor: kept float (llama.cpp quantizes projectors separately)";
    } else {
      requested = *impl_->global;
      reason = "--quant " + impl_->quant;
    }
  }
  if (!requested || *requested == Scheme::kNone) {
    d.type = float_type(info.dtype);
    d.reason = reason.empty() ? "--quant " + impl_->quant : reason;
    return d;
  }
  const auto type = ggml_type_of(*requested);
  if (!type) {
    return Error(ErrorCode::kInvalidArgument, reason + ": " + std::string(scheme_name(*requested)) +
                                                  " has no ggml type (nearest: " + nearest_ggml_type(*requested) + ")")
        .with_tensor(info.name);
  }
  d.reason = reason;
  if (ne.empty() || ne[0] % kGgmlBlock != 0) {
    d.type = GgmlType::kF16;
    d.fallback = true;
    d.reason += "; rows of " + std::to_string(ne.empty() ? 0 : ne[0]) + " are not a multiple of 32: F16 fallback";
    return d;
  }
  d.type = *type;
  d.scheme = *requested;
  return d;
}

}  // namespace hfb
