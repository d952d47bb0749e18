// Golden fixtures: Hugging Face reference outputs (golden.json + golden_tensors.safetensors) held in memory.
// Format: docs/golden-fixtures.md (hf-gemma4-golden/1).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "runtime/session.h"

namespace hfb {

/// One greedy step of the reference run (logits after final softcapping; step 0 = last prefill position).
struct GoldenStep {
  int64_t token = -1;
  int64_t top1 = -1;
  int64_t top2 = -1;
  double top1_logit = 0.0;
  double top2_logit = 0.0;
  double margin = 0.0;  ///< top1_logit - top2_logit
};

struct GoldenCase {
  std::string name;
  std::vector<int64_t> prompt;
  std::vector<int64_t> greedy;  ///< one token per step
  std::vector<GoldenStep> steps;
  bool stopped_at_eos = false;
  Matrix prefill_logits;                ///< [L, V]
  Matrix step_logits;                   ///< [steps, V]
  std::map<int, Matrix> hidden_states;  ///< HF output_hidden_states index -> [L, H]
  std::string media_kind;               ///< "" for text-only, else "audio", "image", "audio+image", ...
  MediaInputs media;                    ///< multimodal inputs (empty matrices when absent)
  Taps taps;  ///< every other tensor of the case by its short name ("audio_tower_output", ...), as float
  /// Integer tensors by short name, as float matrices (exact): "mm_token_type_ids" [L, 1] (image cases of
  /// bidirectional sets), "router_topk_ids.<layer>" [T, top_k] (MoE sets, T = prompt + greedy - 1 positions).
  Taps id_tensors;
  /// golden.json -> cases[].moe_routing.layers.<i>.expert_counts: (token, slot) selections per expert over the
  /// prompt and greedy[:-1]; empty for dense sets.
  std::vector<std::vector<int64_t>> moe_expert_counts;
  bool has_media() const { return !media_kind.empty(); }
};

struct Golden {
  std::string dir;
  std::string format;       ///< "hf-gemma4-golden/1"
  std::string preset;
  std::string model_class;  ///< "Gemma4ForCausalLM" | "Gemma4ForConditionalGeneration"
  int64_t vocab_size = 0;   ///< columns of every logits tensor
  std::vector<GoldenCase> cases;
  std::vector<std::vector<int64_t>> moe_expert_counts;  ///< golden.json -> moe.layers (summed over all cases)
};

/// Reads `dir`/golden.json and `dir`/golden_tensors.safetensors. Fails with kNotFound when a file,
/// JSON key or required tensor is missing, kInvalidFile when one is malformed or the two files
/// disagree (prompt vs prompt_ids, step count vs step_logits rows, vocab sizes), each naming the
/// file and the key or tensor.
Result<Golden> load_golden(const std::string& dir);

/// The same from already-read parts (tests, fuzzers): `json_text` is golden.json's content, `tensors`
/// the parsed golden_tensors.safetensors; `dir` is used in messages only.
Result<Golden> parse_golden(const std::string& json_text, const std::vector<TensorInfo>& tensors,
                            const std::string& dir);

/// Keeps only the named cases, in the order given. Fails with kInvalidArgument naming an unknown
/// case (and listing the known ones) or a name given twice. An empty list keeps every case.
Result<Golden> select_golden_cases(Golden golden, const std::vector<std::string>& names);

}  // namespace hfb
