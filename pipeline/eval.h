// `hfbundle eval MODEL --against CKPT (--text F | --ids-file F)`: teacher-forced KL, top-1 agreement and
// perplexity of MODEL against a float32 reference over every position of every line (docs/quality.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "runtime/session.h"
#include "validators/eval_metrics.h"
#include "validators/eval_reference.h"

namespace hfb {

struct EvalOptions {
  std::string against;         ///< reference checkpoint (run in float32); optional with reference_file
  std::string text_file;       ///< one sequence a line, tokenized (bos first) by the reference's tokenizer; or
  std::string ids_file;        ///< one sequence a line, ids comma-separated; neither: the reference file's ids
  int64_t context = 0;         ///< lines longer than this are cut into pieces of this many ids; 0: no cut
  std::string save_reference;  ///< write the reference's logits here (validators/eval_reference.h)
  std::string reference_file;  ///< read them from here instead of running the reference
  bool check_checksums = true; ///< bundles: XXH3 of every file at open
  /// Called after every sequence: which pass ("reference" or "model"), sequences done and their count.
  std::function<void(const char* pass, size_t done, size_t total)> on_progress;
};

/// The sequences of --text / --ids-file, cut to `context` ids (0: as they are). Fails like tokenize_prompt_file
/// or read_prompt_ids_file, kInvalidArgument for context < 0, kLimit beyond limits().max_positions ids a line.
Result<std::vector<std::vector<int64_t>>> load_eval_sequences(const EvalOptions& options,
                                                              const std::string& tokenizer_source);

/// A cheap identity of a loaded model: every tensor's name, dtype, shape, size and first 256 bytes (FNV-1a 64).
uint64_t eval_model_fingerprint(const Model& model);

/// Runs `reference` over `sequences` and writes their logits to `path` (atomically). Fails like
/// EvalReferenceWriter and the session's prefill.
Status record_eval_reference(Session& reference, const EvalReferenceInfo& info, const std::string& path,
                             const std::function<void(size_t done, size_t total)>& on_progress);

/// Teacher-forces `ours` over the reference file's sequences. Fails with kInvalidArgument when the vocabularies
/// or layer counts differ (naming both), like the session's prefill and EvalAccumulator::add.
Result<EvalReport> eval_session(Session& ours, const EvalReferenceFile& reference,
                                const std::function<void(size_t done, size_t total)>& on_progress);

/// The whole command: reference logits (recorded, or read and checked against --against and the ids), then
/// MODEL (a checkpoint or a bundle) over them. Fails with kInvalidArgument when neither --against nor --reference
/// is given or a reference file belongs to another model, vocabulary or id list (saying which), and like the
/// functions above, open_model_session and load_checkpoint.
Result<EvalReport> eval_model(const std::string& model_path, const EvalOptions& options);

}  // namespace hfb
