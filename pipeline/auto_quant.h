// `convert --quant auto --max-kl X [--max-size B] [--calibrate FILE]` (issue 21 item 5): per chunk and role, the
// smallest schemes whose combination keeps the mean KL(float || quantized) within the budget, measured (never
// estimated) on an in-memory quantized model: selected on one half of the calibration text, confirmed with a
// margin on the other half (tightened until it holds), expressed as chunk / chunk:role recipe entries.
// Documented in docs/quality.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/role.h"
#include "passes/pass_pipeline.h"
#include "quant/policy.h"

namespace hfb {

struct AutoQuantOptions {
  std::string source;                ///< checkpoint directory
  double max_kl = 0;                 ///< budget: mean KL in nats over every calibration position (> 0)
  std::optional<uint64_t> max_size;  ///< tensor bytes the chosen recipe may take
  std::string calibrate_file;        ///< text, one sequence a line; empty: golden.json prompts, else random prompts
  uint64_t seed = 0;                 ///< for the random prompts
  PassOptions passes;                ///< the chunk plan the unit names come from (as convert runs it)
  QuantPolicyOptions base;           ///< params and min_elements; `global` and overrides are ignored
  /// Called after every measurement: what was measured ("sensitivity decoder.0 mlp_up q4_0") and its KL.
  std::function<void(const std::string& what, double kl)> on_measure;
};

/// One (chunk, role) group of tensors and what was measured for it.
struct AutoUnit {
  std::string chunk;  ///< as the chunk plan prints it ("decoder.1"); "" for tensors no chunk owns
  Role role = Role::kNorm;
  std::vector<std::string> tensors;
  std::vector<Scheme> ladder;                ///< candidate schemes, largest first (float is always allowed)
  std::map<std::string, double> sensitivity;  ///< scheme name -> KL with only this unit quantized
  Scheme chosen = Scheme::kNone;
};

/// One selection round: the working budget on the selection half, what the greedy descent reached there, and
/// the same combination measured on the confirmation half.
struct AutoRound {
  double budget = 0;
  double selection_kl = 0;
  double validation_kl = 0;
  uint64_t bytes = 0;
  bool confirmed = false;  ///< validation_kl <= max_kl * (1 - the confirmation margin): this round was kept
};

struct AutoQuantResult {
  std::string calibration;  ///< which calibration data ("FILE", "golden.json prompts of DIR", "16 seeded ...")
  int64_t calibration_positions = 0;  ///< both halves
  int64_t selection_positions = 0;    ///< sequences at even positions (one sequence: its first half)
  int64_t validation_positions = 0;   ///< sequences at odd positions (one sequence: its second half)
  double max_kl = 0;
  double working_budget = 0;      ///< the selection budget of the round that was kept
  double selection_kl = 0;        ///< the chosen combination on the selection half
  double validation_kl = 0;       ///< ... on the confirmation half (both halves <= max_kl * 0.9)
  double kl_divergence_mean = 0;  ///< ... on all the calibration data (both halves)
  uint64_t bytes = 0;             ///< tensor bytes of the chosen combination (in-memory, every checkpoint tensor)
  int measurements = 0;
  std::vector<AutoRound> rounds;
  std::vector<AutoUnit> units;
  /// The recipe as policy options: chunk_types per chunk (CHUNK and CHUNK:ROLE entries), role_types for units no
  /// chunk owns, exact-name tensor_types only where those cannot express the choice. Decides every tensor as
  /// measured (checked).
  QuantPolicyOptions policy;
  std::string to_json() const;    ///< hfbundle-auto-recipe/2 (docs/quality.md): the recipe's notes
  std::string to_string() const;  ///< a table: unit, chosen scheme, sensitivities; the totals
};

/// Measures and chooses. Fails with kInvalidArgument for max_kl not finite and > 0 and kCheckFailed when the
/// smallest recipe found within the budget exceeds max_size (naming both), and like load_checkpoint,
/// run_pass_pipeline, tokenize_prompt_file, load_golden and the sessions. Deterministic for the same inputs.
Result<AutoQuantResult> choose_auto_quant(const AutoQuantOptions& options);

}  // namespace hfb
