// Opening a model for run/verify: MODEL path -> loaded checkpoint -> reference-runtime Session.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "validators/parity.h"
#include "validators/session.h"

namespace hfb {

struct ModelSession {
  std::unique_ptr<Session> session;
  std::vector<int64_t> eos_ids;  ///< from the generation config
  std::string source;            ///< the path it was opened from
};

/// Loads a checkpoint directory and builds the float32 reference runtime over it. Fails like
/// load_checkpoint (kNotFound / kInvalidFile / kUnsupported naming the file) and make_session.
Result<ModelSession> open_model_session(const std::string& path);

/// The same for a model already in memory (tests may edit its tensor table first).
Result<ModelSession> open_model_session(const Model& model);

/// Loads the golden (first, so a bad golden fails before the model is read), opens the model and runs
/// verify_against_golden. `options.model` is set to `model_path` when empty. Fails like load_golden,
/// open_model_session and verify_against_golden.
Result<ParityReport> verify_model(const std::string& model_path, const std::string& golden_dir,
                                  VerifyOptions options);

/// Parses "--logit-tolerance": a finite number >= 0, or "off" (nullopt). Fails with kInvalidArgument.
Result<std::optional<double>> parse_logit_tolerance(const std::string& text);

/// Parses a comma-separated list of names ("a,b"); empty items are an error (kInvalidArgument).
Result<std::vector<std::string>> parse_name_list(const std::string& text);

}  // namespace hfb
