// Per-tensor quantization policy: overrides, role types, safe defaults with reasons, and the fallback rule.
#include "quant/policy.h"

#include <regex>

#include "quant/regex_guard.h"

namespace hfb {

struct QuantPolicy::Compiled {
  std::regex regex;
};

namespace {

bool is_plain_float(DType dtype) {
  return dtype.id() == DTypeId::kF32 || dtype.id() == DTypeId::kF16 || dtype.id() == DTypeId::kBF16;
}

QuantParams per_row(QuantParams params) {
  params.block_size = 0;
  params.per_tensor = false;
  return params;
}

bool is_expert_bank(const TensorInfo& info) {
  return (info.role == Role::kMoeGateUp || info.role == Role::kMoeDown) && info.shape.rank() == 3;
}

int64_t common_divisor(int64_t a, int64_t b) { return b == 0 ? a : common_divisor(b, a % b); }

// An expert bank [E, R, C] is E stacked [R, C] matrices (matrix_view: E*R rows): scales are per row or
// block already; one scale / LUT for the whole tensor becomes one per expert, and k-means row groups are
// shrunk to a divisor of R so that no group crosses an expert boundary.
void fit_expert_bank(const TensorInfo& info, TensorDecision* d) {
  if (!is_expert_bank(info) || d->scheme == Scheme::kNone) return;
  const int64_t rows_per_expert = info.shape[1];
  const bool kmeans = d->scheme == Scheme::kKmeans4 || d->scheme == Scheme::kKmeans8;
  if (d->params.per_tensor) {
    d->params.per_tensor = false;
    if (kmeans) d->params.group_size = rows_per_expert;
    d->reason += kmeans ? "; expert bank: one LUT per expert" : "; expert bank: one scale per expert row";
  } else if (kmeans && d->params.group_size > 0 && rows_per_expert % d->params.group_size != 0) {
    d->params.group_size = common_divisor(rows_per_expert, d->params.group_size);
    d->reason += "; expert bank: LUT groups of " + std::to_string(d->params.group_size) +
                 " rows (a divisor of the expert's " + std::to_string(rows_per_expert) + ")";
  }
}

TensorDecision keep(std::string reason) {
  TensorDecision d;
  d.reason = std::move(reason);
  return d;
}

// Built-in "stay float" defaults, by role; empty when the role has none.
std::string float_default_reason(Role role) {
  if (role_is_norm(role)) return "norm weight: kept float by default";
  switch (role) {
    case Role::kLayerScalar: return "layer scalar: kept float by default";
    case Role::kClipBound: return "clip bound: kept float by default";
    case Role::kAudioSubsampleConv: return "audio subsample conv kernel: kept float by default";
    case Role::kMoeRouter: return "MoE router: kept float by default (expert choices are discrete)";
    case Role::kMoeExpertScale: return "MoE per-expert scale: kept float by default";
    case Role::kAudioDepthwiseConv: return "audio lconv1d depthwise conv kernel: kept float by default (not a linear)";
    case Role::kAudioPerDimScale:
    case Role::kVisionStandardizeScale: return "per-dim scale: kept float by default";
    case Role::kAudioOutputBias:
    case Role::kVisionStandardizeBias: return "bias: kept float by default";
    case Role::kVisionPositionTable: return "vision position table: kept float by default (additive, small)";
    default: return "";
  }
}

bool is_table_role(Role role) {
  return role == Role::kTokenEmbedding || role == Role::kLmHead || role == Role::kPleTable;
}

Status shape_fits(Scheme scheme, const TensorInfo& info, const QuantParams& params) {
  static const uint8_t kNoData = 0;  // check_quantizable only tests the pointer
  auto [rows, cols] = matrix_view(info.shape);
  SourceMatrix src{&kNoData, info.dtype, rows, cols, info.name};
  return check_quantizable(scheme, src, params);
}

}  // namespace

std::pair<int64_t, int64_t> matrix_view(const Shape& shape) {
  if (shape.rank() == 0) return {1, 1};
  if (shape.rank() == 1) return {1, shape[0]};
  if (shape.rank() == 3) return {shape[0] * shape[1], shape[2]};  // a stack of shape[0] matrices
  int64_t cols = 1;
  for (size_t i = 1; i < shape.rank(); ++i) cols *= shape[i];
  return {shape[0], cols};
}

Result<std::pair<std::string, Scheme>> parse_tensor_type(const std::string& text) {
  const size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0) {
    return Error(ErrorCode::kInvalidArgument, "--tensor-type expects REGEX=SCHEME, got '" + text + "'");
  }
  std::string pattern = text.substr(0, eq);
  HFB_TRY(check_regex_bounded(pattern));
  try {
    std::regex check(pattern);
  } catch (const std::regex_error& e) {
    return Error(ErrorCode::kInvalidArgument, "--tensor-type: invalid regex '" + pattern + "': " + e.what());
  }
  HFB_TRY(Scheme scheme, parse_scheme(text.substr(eq + 1)));
  return std::make_pair(std::move(pattern), scheme);
}

Result<std::pair<Role, Scheme>> parse_role_type(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos) {
    return Error(ErrorCode::kInvalidArgument, "--role-type expects ROLE=SCHEME, got '" + text + "'");
  }
  const std::string name = text.substr(0, eq);
  std::optional<Role> role = role_from_name(name);
  if (!role) return Error(ErrorCode::kInvalidArgument, "--role-type: unknown role '" + name + "' (see docs/roles.md)");
  HFB_TRY(Scheme scheme, parse_scheme(text.substr(eq + 1)));
  return std::make_pair(*role, scheme);
}

Result<std::pair<std::string, Scheme>> parse_chunk_type(const std::string& text) {
  const size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "--chunk-type expects CHUNK=SCHEME (a chunk name as the chunk plan prints it, e.g. decoder.2=int8), got '" +
                     text + "'");
  }
  HFB_TRY(Scheme scheme, parse_scheme(text.substr(eq + 1)));
  std::string name = text.substr(0, eq);
  HFB_TRY(check_chunk_type_name(name));
  return std::make_pair(std::move(name), scheme);
}

Status check_chunk_type_name(const std::string& name) {
  const size_t colon = name.find(':');
  if (colon == std::string::npos) return ok_status();
  if (colon == 0) return Error(ErrorCode::kInvalidArgument, "--chunk-type " + name + ": empty chunk name before ':'");
  const std::string role = name.substr(colon + 1);
  if (!role_from_name(role)) {
    return Error(ErrorCode::kInvalidArgument,
                 "--chunk-type " + name + ": unknown role '" + role + "' after ':' (see docs/roles.md)");
  }
  return ok_status();
}

Status check_chunk_types(const QuantPolicyOptions& options, const std::vector<std::string>& chunk_names) {
  for (const auto& [name, scheme] : options.chunk_types) {
    HFB_TRY(check_chunk_type_name(name));
    const std::string chunk = name.substr(0, name.find(':'));
    bool found = false;
    for (const std::string& c : chunk_names) found = found || c == chunk;
    if (found) continue;
    std::string list;
    for (const std::string& c : chunk_names) list += (list.empty() ? "" : ", ") + c;
    return Error(ErrorCode::kInvalidArgument,
                 "--chunk-type " + name + "=" + std::string(scheme_name(scheme)) + ": no chunk '" + chunk +
                     "' in the chunk plan (chunks: " + list + ")");
  }
  return ok_status();
}

std::string_view policy_rule_name(PolicyRule rule) {
  switch (rule) {
    case PolicyRule::kDefault: return "default";
    case PolicyRule::kTensorType: return "tensor-type";
    case PolicyRule::kRoleType: return "role-type";
    case PolicyRule::kChunkType: return "chunk-type";
    case PolicyRule::kGlobal: return "global";
  }
  return "default";
}

Result<QuantPolicy> QuantPolicy::create(QuantPolicyOptions options) {
  if (options.min_elements < 0) {
    return Error(ErrorCode::kInvalidArgument, "--min-elements must be >= 0, got " + std::to_string(options.min_elements));
  }
  QuantPolicy policy;
  for (const auto& [pattern, scheme] : options.tensor_types) {
    auto compiled = std::make_shared<Compiled>();
    HFB_TRY(check_regex_bounded(pattern));
    try {
      compiled->regex = std::regex(pattern);
    } catch (const std::regex_error& e) {
      return Error(ErrorCode::kInvalidArgument, "--tensor-type: invalid regex '" + pattern + "': " + e.what());
    }
    policy.regexes_.push_back(std::move(compiled));
  }
  policy.options_ = std::move(options);
  return policy;
}

std::optional<TensorDecision> QuantPolicy::requested(const TensorInfo& info) const {
  for (size_t i = 0; i < regexes_.size(); ++i) {
    if (std::regex_match(info.name, regexes_[i]->regex)) {
      TensorDecision d;
      d.scheme = options_.tensor_types[i].second;
      d.params = options_.params;
      d.rule = PolicyRule::kTensorType;
      d.reason = "--tensor-type " + options_.tensor_types[i].first + "=" + std::string(scheme_name(d.scheme));
      return d;
    }
  }
  for (const auto& [role, scheme] : options_.role_types) {
    if (role != info.role) continue;
    TensorDecision d;
    d.scheme = scheme;
    d.params = options_.params;
    d.rule = PolicyRule::kRoleType;
    d.reason = "--role-type " + std::string(role_name(role)) + "=" + std::string(scheme_name(scheme));
    return d;
  }
  return std::nullopt;
}

TensorDecision QuantPolicy::by_default(const TensorInfo& info, std::string_view chunk) const {
  std::string reason = float_default_reason(info.role);
  if (!reason.empty()) return keep(reason);
  const uint64_t elements = info.shape.num_elements().value_or(0);
  if (info.shape.rank() < 2) return keep("vector (bias/scale, rank " + std::to_string(info.shape.rank()) + "): kept float by default");
  if (elements < static_cast<uint64_t>(options_.min_elements)) {
    return keep(std::to_string(elements) + " elements < --min-elements " + std::to_string(options_.min_elements));
  }
  TensorDecision d;
  d.params = options_.params;
  // A CHUNK:ROLE entry beats a CHUNK entry (more specific); within each kind the first entry wins.
  if (!chunk.empty()) {
    const std::string with_role = std::string(chunk) + ":" + std::string(role_name(info.role));
    for (const std::string_view wanted : {std::string_view(with_role), chunk}) {
      for (const auto& [name, scheme] : options_.chunk_types) {
        if (name != wanted) continue;
        d.scheme = scheme;
        d.rule = PolicyRule::kChunkType;
        d.reason = "--chunk-type " + name + "=" + std::string(scheme_name(scheme));
        return d;
      }
    }
  }
  if (options_.global == Scheme::kNone) {
    d.rule = PolicyRule::kGlobal;
    d.reason = "--quant none";
  } else if (is_table_role(info.role)) {
    d.scheme = Scheme::kInt8;
    d.params = per_row(options_.params);
    d.reason = std::string(role_name(info.role)) + ": int8 per row by default (4-bit tables break generation)";
  } else if (info.tower != Tower::kText || info.role == Role::kEmbedderProjection) {
    d.scheme = Scheme::kInt8;
    d.reason = std::string(tower_name(info.tower)) + " tower: int8 by default (clipped linears are sensitive)";
  } else {
    d.scheme = options_.global;
    d.rule = PolicyRule::kGlobal;
    d.reason = "--quant " + std::string(scheme_name(d.scheme));
  }
  return d;
}

Result<TensorDecision> QuantPolicy::decide(const TensorInfo& info, std::string_view chunk) const {
  if (!info.used) return keep("unused (" + info.unused_reason + "): dropped by passes, not quantized");
  if (!is_plain_float(info.dtype)) {
    return keep("dtype " + std::string(info.dtype.name()) + " is not F32/F16/BF16: kept as it is");
  }
  std::optional<TensorDecision> chosen = requested(info);
  if (!chosen) chosen = by_default(info, chunk);
  if (chosen->scheme == Scheme::kNone) {
    // A tensor kept float by a built-in default still honours --allow-nonfinite (it is copied as it is).
    chosen->params.allow_nonfinite = options_.params.allow_nonfinite;
    return *chosen;
  }
  fit_expert_bank(info, &*chosen);
  Status fits = shape_fits(chosen->scheme, info, chosen->params);
  if (fits.ok()) return *chosen;
  if (fits.error().code != ErrorCode::kInvalidArgument) return fits.error();
  std::vector<std::pair<Scheme, QuantParams>> candidates;
  if (chosen->scheme == Scheme::kQ4_0) candidates.emplace_back(Scheme::kQ8_0, chosen->params);
  candidates.emplace_back(Scheme::kInt8, per_row(chosen->params));
  for (const auto& [scheme, params] : candidates) {
    if (scheme == chosen->scheme && params.block_size == chosen->params.block_size &&
        params.per_tensor == chosen->params.per_tensor) {
      continue;
    }
    if (!shape_fits(scheme, info, params).ok()) continue;
    TensorDecision d;
    d.scheme = scheme;
    d.params = params;
    d.fallback = true;
    d.rule = chosen->rule;
    auto [rows, cols] = matrix_view(info.shape);
    d.reason = chosen->reason + "; " + std::string(scheme_name(chosen->scheme)) + " cannot take [" +
               std::to_string(rows) + ", " + std::to_string(cols) + "] (" + fits.error().message +
               "): fallback to " + std::string(scheme_name(scheme)) + (scheme == Scheme::kInt8 ? " per row" : "");
    return d;
  }
  return fits.error();
}

}  // namespace hfb
