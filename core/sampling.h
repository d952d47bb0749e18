// Token sampling for `hfbundle run`: temperature, top-k, top-p (nucleus) and a seed, as llama.cpp and mlx-lm offer
// them. Greedy (temperature 0) stays the default; `verify` is always greedy. Deterministic for a seed on any host.
#pragma once

#include <cstdint>

#include "core/error.h"

namespace hfb {

struct SamplingOptions {
  double temperature = 0.0;  ///< 0: greedy (argmax); > 0 divides the logits before the softmax
  int64_t top_k = 0;         ///< keep the k most likely tokens (0: all)
  double top_p = 1.0;        ///< keep the smallest set of most likely tokens whose probability reaches p (1: all)
  uint64_t seed = 0;
  bool greedy() const { return temperature <= 0.0; }
};

/// Fails with kInvalidArgument for a negative or non-finite temperature, top_k < 0, top_p outside (0, 1].
Status validate_sampling(const SamplingOptions& options);

/// Draws token ids from logits: top-k by logit (ties: lower id first), softmax at the temperature (in double),
/// top-p on the sorted probabilities, then one uniform draw from a splitmix64 stream seeded by `seed` (the same ids
/// for the same seed and logits on every host and thread count).
class TokenSampler {
 public:
  explicit TokenSampler(const SamplingOptions& options);
  /// The next token for `logits[0..vocab)`; argmax when greedy.
  int64_t sample(const float* logits, int64_t vocab);

 private:
  double next_uniform();  ///< in [0, 1)
  SamplingOptions options_;
  uint64_t state_;
};

}  // namespace hfb
