// Per-tensor quantization policy: which scheme each tensor gets, and why (overrides, roles, safe defaults).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/role.h"
#include "core/tensor.h"
#include "quant/scheme.h"

namespace hfb {

constexpr int64_t kDefaultMinElements = 2048;

/// What the user asked for (docs/recipes.md). Precedence, most specific first: tensor_types (first matching
/// regex wins), role_types (first entry for the role wins), then the built-in keep-float defaults (norms,
/// scalars, vectors, tensors under min_elements), then chunk_types (the tensor's chunk, exact name as the
/// chunk plan prints it), then the built-in int8 defaults (tables, tower linears), then `global`.
struct QuantPolicyOptions {
  Scheme global = Scheme::kNone;                          ///< --quant
  QuantParams params;                                     ///< --group-size, --block-size, --per-tensor
  std::vector<std::pair<std::string, Scheme>> tensor_types;  ///< --tensor-type REGEX=SCHEME (full-name match)
  std::vector<std::pair<Role, Scheme>> role_types;        ///< --role-type ROLE=SCHEME
  int64_t min_elements = kDefaultMinElements;             ///< --min-elements: smaller tensors stay float
  /// --chunk-type CHUNK=SCHEME: every quantizable tensor of chunk CHUNK ("decoder.2", "embeddings", "head",
  /// "audio", "vision"; first entry for a chunk wins); CHUNK:ROLE=SCHEME ("decoder.2:mlp_up"): the tensors of
  /// that role in that chunk, beating a CHUNK entry. Applies only when decide() is given the tensor's chunk.
  std::vector<std::pair<std::string, Scheme>> chunk_types;
};

/// Which rule of the policy chose a tensor's scheme (shown in the coverage report and its JSON).
enum class PolicyRule : uint8_t {
  kDefault,     ///< a built-in default: kept float (norm, vector, small, unused, non-float) or int8 (table, tower)
  kTensorType,  ///< a tensor_types regex
  kRoleType,    ///< a role_types entry
  kChunkType,   ///< a chunk_types entry
  kGlobal,      ///< the global scheme
};
/// "default", "tensor-type", "role-type", "chunk-type", "global".
std::string_view policy_rule_name(PolicyRule rule);

/// One tensor's decision. scheme kNone = kept as it is (float).
struct TensorDecision {
  Scheme scheme = Scheme::kNone;
  QuantParams params;
  std::string reason;     ///< printed in the coverage report
  bool fallback = false;  ///< the requested scheme could not take the shape; `reason` names the rule
  PolicyRule rule = PolicyRule::kDefault;  ///< the rule that chose `scheme` (kept through a fallback)
};

/// Parses "REGEX=SCHEME" (split at the last '='). Fails with kInvalidArgument for a missing '=', an
/// invalid regex (std::regex ECMAScript) or an unknown scheme.
Result<std::pair<std::string, Scheme>> parse_tensor_type(const std::string& text);
/// Parses "ROLE=SCHEME" with role names as in core/role.h. Fails with kInvalidArgument naming the role.
Result<std::pair<Role, Scheme>> parse_role_type(const std::string& text);
/// Parses "CHUNK=SCHEME" (split at the last '='; the chunk name is checked against a plan by the caller,
/// e.g. check_chunk_types). CHUNK may be CHUNK:ROLE. Fails with kInvalidArgument for a missing '=', an empty
/// name, an unknown scheme or an unknown role.
Result<std::pair<std::string, Scheme>> parse_chunk_type(const std::string& text);
/// A chunk_types name: CHUNK or CHUNK:ROLE. Fails with kInvalidArgument for an empty chunk before ':' or an
/// unknown role after it (the chunk itself is checked against a plan by check_chunk_types).
Status check_chunk_type_name(const std::string& name);
/// Fails with kInvalidArgument naming the first chunk_types entry whose chunk (before any ':ROLE') is not in
/// `chunk_names` (listing those names), or whose role is unknown.
Status check_chunk_types(const QuantPolicyOptions& options, const std::vector<std::string>& chunk_names);

class QuantPolicy {
 public:
  /// Compiles the regexes. Fails with kInvalidArgument naming an invalid regex or min_elements < 0.
  static Result<QuantPolicy> create(QuantPolicyOptions options);

  /// The scheme for one tensor, with the reason. If the chosen scheme cannot take the tensor's shape
  /// the fallback rule applies (q4_0 -> q8_0 if cols % 32 == 0 else int8 per row; any other -> int8
  /// per row) and says so in the reason. Fails with kInvalidArgument naming the tensor only when even
  /// int8 per row cannot take it (an empty tensor), or kUnsupported for a non-float dtype that was
  /// explicitly requested by an override.
  Result<TensorDecision> decide(const TensorInfo& info) const { return decide(info, std::string_view()); }
  /// The same for a tensor of chunk `chunk` ("" : shared or unknown, so no chunk_types entry applies).
  Result<TensorDecision> decide(const TensorInfo& info, std::string_view chunk) const;

  const QuantPolicyOptions& options() const { return options_; }

 private:
  QuantPolicy() = default;
  std::optional<TensorDecision> requested(const TensorInfo& info) const;
  TensorDecision by_default(const TensorInfo& info, std::string_view chunk) const;
  QuantPolicyOptions options_;
  struct Compiled;
  std::vector<std::shared_ptr<const Compiled>> regexes_;
};

/// The [rows, cols] matrix view the schemes use for a shape (rows = dim 0, cols = the rest; rank 0/1: one row;
/// rank 3 [E, R, C], e.g. an expert bank: E stacked matrices, [E*R, C], so no row crosses a matrix boundary).
std::pair<int64_t, int64_t> matrix_view(const Shape& shape);

}  // namespace hfb
