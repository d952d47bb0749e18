// The in-memory convert -> run/verify path (`run|verify CKPT --quant SCHEME ...`): a checkpoint quantized
// per a policy into a QuantizedWeightStore, run on its text graph.
#pragma once

#include <string>

#include "core/error.h"
#include "pipeline/open_model.h"
#include "quant/coverage.h"
#include "quant/policy.h"
#include "validators/parity.h"

namespace hfb {

/// A run/verify session over a checkpoint quantized in memory per `policy` (text graph). Fails like
/// load_checkpoint, QuantizedWeightStore::create and make_session. `coverage` (optional) receives the report.
Result<ModelSession> open_quantized_model_session(const std::string& path, const QuantPolicy& policy,
                                                  CoverageReport* coverage);

/// The same over a checkpoint already loaded (auto quantization measures many policies on one load).
Result<ModelSession> open_quantized_model_session(const Model& model, const QuantPolicy& policy,
                                                  CoverageReport* coverage);

/// verify_model with the checkpoint quantized in memory first. Fails like verify_model and
/// open_quantized_model_session.
Result<ParityReport> verify_quantized_model(const std::string& model_path, const std::string& golden_dir,
                                            const QuantPolicy& policy, VerifyOptions options, CoverageReport* coverage);

}  // namespace hfb
