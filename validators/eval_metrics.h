// Teacher-forced quality metrics of a model against a reference over token sequences (`hfbundle eval`, issue 21):
// KL(reference || ours) per position, top-1 agreement and both perplexities, as llama.cpp's
// `llama-perplexity --kl-divergence` reports them. Documented in docs/quality.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/session.h"

namespace hfb {

/// The report of one evaluation (every field a plain number; JSON keys as named here).
struct EvalReport {
  std::string model;      ///< the evaluated MODEL path
  std::string reference;  ///< the reference checkpoint, or the --reference file
  std::string ids_source; ///< the --text or --ids-file path (or "reference file")
  int64_t sequences = 0;          ///< sequences run (lines after --context splitting)
  int64_t positions = 0;          ///< positions whose next-token distribution was compared (every position)
  int64_t predicted_tokens = 0;   ///< positions with a next token in the sequence (perplexity's count)
  double kl_divergence_mean = 0;  ///< nats, natural log
  double kl_divergence_p99 = 0;   ///< nearest rank: the ceil(0.99 * positions)-th smallest
  double kl_divergence_max = 0;
  double teacher_forced_top1_agreement = 0;  ///< fraction of positions where both argmaxes agree
  double perplexity_reference = 0;  ///< exp(mean NLL of the next token) under the reference
  double perplexity_ours = 0;
  double seconds = 0;  ///< wall time of the model's pass (not in the determinism contract)
};

/// Accumulates positions in the order given (so the same inputs give the same bits, any thread count).
class EvalAccumulator {
 public:
  /// Adds one sequence: `reference` and `ours` are its logits [L, V] (row p = the distribution after ids[0..p]),
  /// `ids` its L ids. Fails with kInvalidArgument when the shapes disagree, and with kCheckFailed naming the
  /// sequence and position when a logit is NaN or Inf.
  Status add(const Matrix& reference, const Matrix& ours, const std::vector<int64_t>& ids);
  /// The totals; an accumulator with no positions gives zeros and agreement 1.
  EvalReport report() const;

 private:
  std::vector<double> kl_;
  double nll_reference_ = 0;
  double nll_ours_ = 0;
  int64_t agree_ = 0;
  int64_t predicted_ = 0;
  int64_t sequences_ = 0;
};

/// The JSON document of `eval --json` (docs/quality.md). Never fails.
std::string eval_report_to_json(const EvalReport& report);

/// A few human lines (positions, KL mean/p99/max, agreement, perplexities, time). Never fails.
std::string eval_report_summary(const EvalReport& report);

}  // namespace hfb
