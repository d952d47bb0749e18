// Opening a model for run/verify: MODEL path -> loaded checkpoint -> reference-runtime Session.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "runtime/session.h"
#include "pipeline/model_source.h"
#include "validators/parity.h"

namespace hfb {

struct ModelSession {
  std::unique_ptr<Session> session;
  std::vector<int64_t> eos_ids;  ///< from the generation config
  int64_t bos_id = 2;
  std::vector<int64_t> reserved_ids;  ///< bos, eos, pad and multimodal placeholders (no random prompt uses them)
  std::string source;            ///< the path it was opened from
  std::vector<std::string> chunks;  ///< chunk graphs run in sequence (a chunked bundle); empty: one whole graph
  /// Whether the mapped inputs (checkpoint shards, bundle files) are still what was opened: kInvalidFile
  /// "changed while being read" otherwise. Callers check it after running, before trusting the output.
  std::function<Status()> check_inputs = [] { return ok_status(); };
  std::string load_note;  ///< weights held in memory rather than mapped (zstd or zip bundles), for run's timings
};

/// Loads a checkpoint directory and builds the float32 reference runtime over it; a bundle (directory with
/// manifest.pb or zip, is_bundle_path) goes to open_bundle_session (validators/bundle_session.h). Fails like
/// load_checkpoint (kNotFound / kInvalidFile / kUnsupported naming the file) and make_session, or like
/// open_bundle_session.
/// `check_checksums`: a bundle's files and segments are checked against the manifest's XXH3 at open
/// (kCheckFailed naming the file on a mismatch); false skips it (--no-check). A GGUF (is_gguf_path) opens through
/// load_model_source with `source` (--mmproj, --config); media its import left out are refused by the session.
Result<ModelSession> open_model_session(const std::string& path, bool check_checksums = true,
                                        const ModelSourceOptions& source = {});

/// Fills eos_ids, bos_id and reserved_ids of `out` from the generation config and placeholder ids of `config`.
void set_session_token_ids(const ModelConfig& config, ModelSession* out);

/// Builds the model family's text graph for `model` (Gemma 4), widens its weights to float32 once and returns
/// a Session. Fails like the family's build_text_graph (models/model_family.h) and MappedWeightStore::create. A model with an audio or vision
/// tower gets make_multimodal_session (pipeline/multimodal_session.h) instead.
Result<std::unique_ptr<Session>> make_session(const Model& model);

/// The same for a model already in memory (tests may edit its tensor table first).
Result<ModelSession> open_model_session(const Model& model);

/// Loads the golden (first, so a bad golden fails before the model is read), opens the model and runs
/// verify_against_golden. `options.model` is set to `model_path` when empty. Fails like load_golden,
/// open_model_session and verify_against_golden.
Result<ParityReport> verify_model(const std::string& model_path, const std::string& golden_dir,
                                  VerifyOptions options, const ModelSourceOptions& source = {});

/// One text prompt a line of `file` (a trailing \r dropped, empty lines skipped), each encoded with bos as the
/// tokenizer config of `tokenizer_source` (a checkpoint, bundle or tokenizer directory) says. Fails like
/// load_text_tokenizer and encode, with kNotFound for an unreadable file and kInvalidArgument for one with no line.
Result<std::vector<std::vector<int64_t>>> tokenize_prompt_file(const std::string& tokenizer_source,
                                                               const std::string& file);

/// One prompt a line of comma-separated ids (parse_prompt_lines), read within the prompt_file_bytes and prompts
/// limits. Fails like read_small_file, parse_prompt_lines (naming the file) and check_limit.
Result<std::vector<std::vector<int64_t>>> read_prompt_ids_file(const std::string& file);

/// `verify MODEL --against REFERENCE`: the reference checkpoint, run in float32, plays the golden.
struct AgainstOptions {
  std::string reference_path;
  std::string prompts_file;     ///< one text prompt a line, tokenized by the reference's tokenizer.json; or:
  std::string prompt_ids_file;  ///< one prompt a line, ids comma-separated; or, when both are empty:
  int random_prompts = 8;       ///< this many seeded random prompts (bos first, lengths 2-32)
  uint64_t seed = 0;
  int steps = 16;               ///< greedy steps per prompt (stops after eos, as HF generate does)
  std::string save_golden_dir;  ///< when set: the reference run is also saved here (validators/golden_write.h)
  std::string audio_path;       ///< real media fed with every prompt through the reference's front-ends
  std::string image_path;       ///< (docs/media.md); random prompts then get the markers after bos
  int max_soft_tokens = 0;      ///< image budget override (0: processor config, else 280)
};

/// Records a golden from the reference (record_golden) and verifies MODEL against it with the same
/// rules and report as a Hugging Face golden (saved first with save_golden when `save_golden_dir` is set).
/// Fails like open_model_session, parse_prompt_lines (naming the prompt file), save_golden and
/// verify_against_golden; kInvalidArgument for random_prompts < 1.
Result<ParityReport> verify_model_against(const std::string& model_path, const AgainstOptions& against,
                                          VerifyOptions options);

}  // namespace hfb
