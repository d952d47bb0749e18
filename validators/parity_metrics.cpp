// Numeric comparisons used by the parity report (all accumulation in double).
#include "validators/parity_metrics.h"

#include <cmath>
#include <limits>

namespace hfb {

TopTwo top_two(const float* values, int64_t count) {
  TopTwo t;
  for (int64_t i = 0; i < count; ++i) {
    const float v = values[i];
    if (t.top1 < 0 || v > t.top1_value) {
      t.top2 = t.top1;
      t.top2_value = t.top1_value;
      t.top1 = i;
      t.top1_value = v;
    } else if (t.top2 < 0 || v > t.top2_value) {
      t.top2 = i;
      t.top2_value = v;
    }
  }
  return t;
}

double max_abs_diff(const float* a, const float* b, int64_t count) {
  double worst = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
    if (std::isnan(d)) return std::numeric_limits<double>::infinity();
    if (d > worst) worst = d;
  }
  return worst;
}

namespace {

// log(sum(exp(x))) in double; +inf-free for finite inputs.
double log_sum_exp(const float* x, int64_t count) {
  double peak = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < count; ++i) peak = std::fmax(peak, static_cast<double>(x[i]));
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i) sum += std::exp(static_cast<double>(x[i]) - peak);
  return peak + std::log(sum);
}

bool all_finite(const float* x, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(x[i])) return false;
  }
  return true;
}

}  // namespace

double kl_divergence_logits(const float* p_logits, const float* q_logits, int64_t count) {
  if (count <= 0) return 0.0;
  if (!all_finite(p_logits, count) || !all_finite(q_logits, count)) {
    return std::numeric_limits<double>::infinity();
  }
  const double lse_p = log_sum_exp(p_logits, count);
  const double lse_q = log_sum_exp(q_logits, count);
  double kl = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double log_p = static_cast<double>(p_logits[i]) - lse_p;
    const double log_q = static_cast<double>(q_logits[i]) - lse_q;
    kl += std::exp(log_p) * (log_p - log_q);
  }
  return kl < 0.0 ? 0.0 : kl;  // rounding can give -1e-17 for identical inputs
}

double cosine_similarity(const float* a, const float* b, int64_t count) {
  double dot = 0.0, norm_a = 0.0, norm_b = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double x = a[i], y = b[i];
    dot += x * y;
    norm_a += x * x;
    norm_b += y * y;
  }
  if (norm_a == 0.0 && norm_b == 0.0) return 1.0;
  if (norm_a == 0.0 || norm_b == 0.0) return 0.0;
  return dot / (std::sqrt(norm_a) * std::sqrt(norm_b));
}

}  // namespace hfb
