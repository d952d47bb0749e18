// TokenSampler: top-k -> softmax(logits / T) -> top-p -> one seeded draw.
#include "core/sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace hfb {

Status validate_sampling(const SamplingOptions& o) {
  if (!std::isfinite(o.temperature) || o.temperature < 0) {
    return Error(ErrorCode::kInvalidArgument, "--temperature must be >= 0 (0: greedy), got " +
                                                  std::to_string(o.temperature));
  }
  if (o.top_k < 0) return Error(ErrorCode::kInvalidArgument, "--top-k must be >= 0 (0: off)");
  if (!(o.top_p > 0.0 && o.top_p <= 1.0)) {
    return Error(ErrorCode::kInvalidArgument, "--top-p must be in (0, 1] (1: off), got " + std::to_string(o.top_p));
  }
  return ok_status();
}

TokenSampler::TokenSampler(const SamplingOptions& options) : options_(options), state_(options.seed) {}

double TokenSampler::next_uniform() {
  // splitmix64: a fixed, portable stream (std:: distributions differ between standard libraries).
  state_ += 0x9E3779B97F4A7C15ull;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

int64_t TokenSampler::sample(const float* logits, int64_t vocab) {
  std::vector<int64_t> ids(static_cast<size_t>(vocab));
  std::iota(ids.begin(), ids.end(), 0);
  const auto by_logit = [logits](int64_t a, int64_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  if (options_.greedy()) return *std::min_element(ids.begin(), ids.end(), by_logit);
  size_t keep = ids.size();
  if (options_.top_k > 0 && static_cast<size_t>(options_.top_k) < keep) keep = static_cast<size_t>(options_.top_k);
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(keep), ids.end(), by_logit);
  ids.resize(keep);
  std::vector<double> probs(keep);
  const double max_logit = logits[ids.front()];
  double sum = 0;
  for (size_t i = 0; i < keep; ++i) {
    probs[i] = std::exp((static_cast<double>(logits[ids[i]]) - max_logit) / options_.temperature);
    sum += probs[i];
  }
  double cumulative = 0;
  size_t nucleus = keep;
  for (size_t i = 0; i < keep; ++i) {
    cumulative += probs[i] / sum;
    if (cumulative >= options_.top_p) {
      nucleus = i + 1;
      break;
    }
  }
  double nucleus_sum = 0;
  for (size_t i = 0; i < nucleus; ++i) nucleus_sum += probs[i];
  const double target = next_uniform() * nucleus_sum;
  double running = 0;
  for (size_t i = 0; i < nucleus; ++i) {
    running += probs[i];
    if (target < running) return ids[i];
  }
  return ids[nucleus - 1];
}

}  // namespace hfb
