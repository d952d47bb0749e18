// Greedy parity against Hugging Face goldens: per-case token/logit/hidden-state comparison and the verdict.
// The report's fields and the verdict rule are documented in docs/verify-report.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/session.h"
#include "validators/golden.h"
#include "validators/parity_moe.h"
#include "validators/parity_taps.h"

namespace hfb {

constexpr double kDefaultMarginThreshold = 0.1;
constexpr double kDefaultLogitTolerance = 2e-3;
/// A hidden state drifts when max_abs > kHiddenMaxAbsRelTolerance * max(1, max|golden|) or
/// cosine < 1 - kHiddenCosineTolerance (float32 vs the float32 reference differ by ~1e-6 relative).
constexpr double kHiddenMaxAbsRelTolerance = 1e-3;
constexpr double kHiddenCosineTolerance = 1e-5;

struct VerifyOptions {
  double margin_threshold = kDefaultMarginThreshold;  ///< near-tie if golden margin < this (0: none)
  std::optional<double> logit_tolerance = kDefaultLogitTolerance;  ///< nullopt: "off"
  std::vector<std::string> cases;  ///< empty: every case
  std::string model;               ///< for the report only (checkpoint or bundle path)
  double hidden_max_abs_rel_tolerance = kHiddenMaxAbsRelTolerance;
  double hidden_cosine_tolerance = kHiddenCosineTolerance;
  /// Tower taps (multimodal cases): see validators/parity_taps.h. They are judged whenever the logit
  /// tolerance is (a failing tap fails the case); with logit_tolerance off they are reported only.
  double tap_max_abs_rel_tolerance = kTapMaxAbsRelTolerance;
  double tap_cosine_tolerance = kTapCosineTolerance;
  bool check_checksums = true;  ///< bundles: XXH3 of every file and segment at open (verify --no-check: false)
  /// Called after every generated token of every case (a progress line): case index and count, steps done and
  /// the case's total. May be empty.
  std::function<void(size_t case_index, size_t case_count, int steps_done, int steps_total)> on_progress;
};

enum class CaseStatus { kPass, kFail, kSkipped };
const char* case_status_name(CaseStatus status);

/// One hidden_states.<index> comparison over every prompt position.
struct LayerReport {
  int index = 0;  ///< HF output_hidden_states index (0 = embeddings, num_layers = final norm)
  double max_abs = 0.0;
  double cosine = 1.0;  ///< the lowest per-position cosine
  bool drifting = false;
};

struct CaseReport {
  std::string name;
  CaseStatus status = CaseStatus::kFail;
  std::string reason;  ///< why it failed or was skipped (empty on pass)
  int tokens_total = 0;
  int tokens_matched = 0;
  std::optional<int> first_divergence;
  std::optional<double> golden_margin_at_divergence;
  double max_abs_logit_diff = 0.0;  ///< over prefill and the steps whose context equals the golden's
  double prefill_max_abs_logit_diff = 0.0;
  double kl_divergence_mean = 0.0;  ///< over the compared steps, nats
  double teacher_forced_top1_agreement = 0.0;  ///< fraction of prefill positions with the golden argmax
  /// Mean KL(golden || ours) over every golden step, ours teacher-forced on the golden's greedy continuation
  /// (prompt + greedy[0..steps-2] in one prefill), so it covers the steps after a divergence too; nullopt when
  /// the session cannot run that sequence (kUnsupported) or the golden has no steps.
  std::optional<double> continuation_kl_divergence_mean;
  std::optional<int> first_drifting_layer;     ///< decoder layer (-1 embeddings, num_layers final norm)
  std::vector<LayerReport> layers;
  std::vector<TapReport> taps;                 ///< every stored tower tap, in data-flow order
  std::optional<std::string> first_drifting_tap;  ///< the first failing entry of `taps`
  std::vector<int64_t> generated;              ///< our greedy tokens (not in the JSON; for messages)
  std::optional<MoeRoutingReport> moe_routing;  ///< MoE cases: router choices vs the golden's (parity_moe.h)
  /// Bidirectional image cases: whether the graph's image blocks (tap mm_blocks) equal the blocks HF derives
  /// from the golden's mm_token_type_ids; nullopt when either is absent.
  std::optional<bool> image_blocks_match;
};

struct ParityReport {
  bool pass = false;
  std::string model;
  std::string golden;
  double margin_threshold = kDefaultMarginThreshold;
  std::optional<double> logit_tolerance;
  int tokens_total = 0;
  int tokens_matched = 0;
  std::vector<CaseReport> cases;
  std::vector<std::string> chunks;  ///< chunk graphs the runtime ran in sequence; empty: one whole graph
};

/// Runs every selected golden case through `session` and compares. Fails with kInvalidArgument for
/// an unknown --cases name, a negative margin or tolerance, or a golden whose vocabulary differs from
/// the session's; passes on session errors except kUnsupported, which marks the case "skipped".
Result<ParityReport> verify_against_golden(Session& session, const Golden& golden, const VerifyOptions& options);

/// Compares one case given our run (exposed for tests): fills everything but status/reason.
/// `ours_prefill` [L,V], `ours_steps` [steps,V], `ours_tokens` one per step.
CaseReport compare_case(const GoldenCase& golden_case, const Matrix& ours_prefill, const Matrix& ours_steps,
                        const std::vector<int64_t>& ours_tokens, const Taps& taps, int num_layers,
                        const VerifyOptions& options);

/// Applies the verdict rule to a compared case (sets status and reason).
void judge_case(const GoldenCase& golden_case, const VerifyOptions& options, CaseReport* report);

}  // namespace hfb
