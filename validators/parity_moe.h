// Golden checks of routing and image blocks: a MoE case's router choices per token and layer (golden
// router_topk_ids / router_topk_weights / moe_routing expert counts), and the bidirectional image blocks the
// graph derives from placeholder ids against the golden's mm_token_type_ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "validators/golden.h"
#include "runtime/session.h"

namespace hfb {

/// Router weights agree with the golden's to float32 noise (golden-fixtures.md: ~1e-5).
constexpr double kRouterWeightTolerance = 1e-4;

struct MoeRoutingReport {
  int layers = 0;                   ///< layers with golden router ids
  int64_t positions = 0;            ///< prompt + greedy[:-1]
  int64_t decisions = 0;            ///< positions * layers
  int64_t mismatched_sets = 0;      ///< (position, layer) whose expert set differs from the golden's
  double max_abs_weight_diff = 0.0; ///< over the matching sets, weights paired by expert
  int64_t count_mismatches = 0;     ///< (layer, expert) selection counts that differ from moe_routing
  std::vector<std::vector<int64_t>> expert_counts;  ///< ours: per layer, selections per expert
  std::string first_mismatch;       ///< "" or "layer L position P: ours {..}, golden {..}"
  bool pass() const {
    return mismatched_sets == 0 && count_mismatches == 0 && max_abs_weight_diff <= kRouterWeightTolerance;
  }
};

/// Compares the taps "moe_routing.<layer>" of one prefill over positions T with the golden's routing. Fails
/// with kInvalidArgument if a golden layer has no tap or the shapes disagree.
Result<MoeRoutingReport> compare_moe_routing(const GoldenCase& golden_case, const Taps& ours);

/// nullopt for a case without router ids; else prefills prompt + greedy[:-1] on `session` (no cache, which the
/// golden states gives the same routing as the cached generate), and compares. The session is reset.
Result<std::optional<MoeRoutingReport>> check_moe_routing(Session& session, const GoldenCase& golden_case);

/// Block ids HF derives from mm_token_type_ids (get_block_sequence_ids_for_mask: each run of 1 / 2 is a block,
/// numbered from 0; -1 elsewhere).
std::vector<int64_t> blocks_from_token_types(const std::vector<int64_t>& types);

}  // namespace hfb
