// Recording a golden from a reference Session (for `verify --against CHECKPOINT`, issue 8): the same
// in-memory form as a Hugging Face golden, so one verifier and one verdict rule serve both.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/session.h"
#include "validators/golden.h"

namespace hfb {

struct GoldenRecordOptions {
  int steps = 16;                ///< greedy steps per prompt (HF: max_new_tokens)
  std::vector<int64_t> eos_ids;  ///< stop right after one of these, as HF generate does
  bool hidden_states = true;     ///< capture hidden_states.<i> for every case
  std::string label;             ///< stored as Golden::dir (the reference's path, for the report)
  const MediaInputs* media = nullptr;  ///< fed with every prompt (from real files: pipeline/media_inputs.h)
  std::string media_kind;              ///< "audio", "image" or "audio+image" when media is set
  /// Called after every recorded token (a progress line): prompt index and count, steps done and the step budget.
  std::function<void(size_t case_index, size_t case_count, int steps_done, int steps_total)> on_progress;
};

/// Greedy-runs every prompt through `reference` and records prompt, tokens, top-2 per step, prefill
/// and step logits (cases "prompt0", "prompt1", ...); with options.media also the media and the tower taps
/// (audio_output_mask derived from the frame mask), so the verifier compares towers too. Fails with kInvalidArgument for no prompts,
/// steps < 1 or ids outside the vocabulary; passes on the session's errors.
Result<Golden> record_golden(Session& reference, const std::vector<std::vector<int64_t>>& prompts,
                             const GoldenRecordOptions& options);

/// `count` deterministic random prompts: bos first, then ids drawn uniformly from [0, vocab_size)
/// minus `excluded_ids` (placeholders, bos/eos/pad), lengths uniform in [2, 32]. Same seed, same prompts.
std::vector<std::vector<int64_t>> random_prompts(int count, uint64_t seed, int64_t vocab_size, int64_t bos_id,
                                                 const std::vector<int64_t>& excluded_ids);

}  // namespace hfb
