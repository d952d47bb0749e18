// Saving a golden (e.g. the reference run of `verify --against`) in the hf-gemma4-golden/1 format, so that
// `verify --golden DIR` reads it back (validators/golden.h) and later checks need not recompute it.
#pragma once

#include <string>

#include "core/error.h"
#include "validators/golden.h"

namespace hfb {

/// Writes `dir`/golden.json (format, preset, model_class, cases with prompt, greedy, steps, stopped_at_eos)
/// and `dir`/golden_tensors.safetensors ("<case>.prompt_ids"/"greedy_ids" I64, "prefill_logits"/"step_logits"
/// and "hidden_states.<i>" F32, tower taps F32), each file atomically. Creates `dir` if absent. Fails with
/// kUnsupported for a case with media inputs, kInvalidArgument for a case whose steps and greedy tokens
/// disagree, kIo naming the file that could not be written.
Status save_golden(const Golden& golden, const std::string& dir);

}  // namespace hfb
