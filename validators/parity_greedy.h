// The greedy decoding loop shared by `hfbundle run` and `hfbundle verify`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/sampling.h"
#include "runtime/session.h"
#include "validators/parity_metrics.h"

namespace hfb {

struct GreedyOptions {
  int max_new_tokens = 16;
  std::vector<int64_t> eos_ids;  ///< stop right after emitting one of these (empty: never stop early)
  bool keep_logits = false;      ///< keep the prefill [L,V] and per-step [steps,V] logits
  /// Called with each generated token as soon as it is picked (streaming output; eos ids included).
  std::function<void(int64_t token)> on_token;
  /// `run --temperature/--top-k/--top-p/--seed` (core/sampling.h); default greedy. verify never sets it.
  SamplingOptions sampling;
  /// Called after each generated token with the number generated so far (a progress line). May be empty.
  std::function<void(int steps_done)> on_step;
};

/// One generated token: step 0 is the last prefill position.
struct GreedyStep {
  int64_t token = -1;  ///< == top.top1 when greedy; the sampled token otherwise
  TopTwo top;
};

struct GreedyRun {
  std::vector<int64_t> prompt;
  std::vector<int64_t> generated;
  std::vector<GreedyStep> steps;
  Matrix prefill_logits;  ///< [L,V] when keep_logits
  Matrix step_logits;     ///< [steps,V] when keep_logits (row 0 == last prefill row)
  double prefill_seconds = 0;        ///< wall time of the prefill call
  double decode_seconds = 0;         ///< wall time of every decode call together
  int64_t decode_calls = 0;          ///< tokens fed through decode (generated tokens after the first)
  uint64_t decode_weight_bytes = 0;  ///< weight bytes the decode calls read (Session::weight_bytes_read)
  /// Per decode step: expert-bank weights (elements) it read (Session::experts_weights_read; MoE models).
  std::vector<int64_t> decode_experts_weights_read;
};

/// Checks every id is in [0, vocab_size). Fails with kInvalidArgument naming the position and id.
Status validate_token_ids(const std::vector<int64_t>& ids, int64_t vocab_size);

/// Resets the session, prefills `prompt` (with optional media and taps), then picks argmax tokens (or samples
/// them with options.sampling) for up to max_new_tokens steps, decoding each one. Fails with kInvalidArgument on an
/// empty prompt, ids out of range, max_new_tokens < 0 or bad sampling options; passes on the session's errors
/// (kUnsupported for inputs the runtime cannot run) and fails with kInternal if the session returns logits of the
/// wrong shape, kCheckFailed naming the step when a step's logits hold NaN/Inf, kLimit beyond
/// limits().max_positions tokens.
Result<GreedyRun> run_greedy(Session& session, const std::vector<int64_t>& prompt, const MediaInputs* media,
                             Taps* taps, const GreedyOptions& options);

}  // namespace hfb
