// Numeric comparisons used by the parity report: top-2 of a logit row, max-abs error, KL divergence, cosine.
#pragma once

#include <cstdint>

namespace hfb {

/// The two largest entries of a row (ties: the lower index wins, as torch.argmax / topk do on CPU).
struct TopTwo {
  int64_t top1 = -1;
  int64_t top2 = -1;
  float top1_value = 0.0f;
  float top2_value = 0.0f;
  double margin() const { return static_cast<double>(top1_value) - static_cast<double>(top2_value); }
};

/// Top-2 of `values[0..count)`; `count` must be >= 1 (top2 == -1 when count == 1). Never fails.
TopTwo top_two(const float* values, int64_t count);

/// max_i |a_i - b_i| in double; NaN anywhere gives +inf (so a NaN never passes a tolerance).
double max_abs_diff(const float* a, const float* b, int64_t count);

/// KL(softmax(p_logits) || softmax(q_logits)) in nats, computed in double with log-sum-exp
/// (stable for any finite logits). Returns +inf if any logit is not finite.
double kl_divergence_logits(const float* p_logits, const float* q_logits, int64_t count);

/// Cosine similarity in double; 1.0 when both vectors are all zero, 0.0 when exactly one is.
double cosine_similarity(const float* a, const float* b, int64_t count);

}  // namespace hfb
