// Parity report output: the JSON document (docs/verify-report.md), a human summary, and atomic file writing.
#pragma once

#include <string>

#include "core/error.h"
#include "validators/parity.h"
#include "validators/parity_greedy.h"
#include "validators/run_timings.h"

namespace hfb {

/// The report as pretty-printed JSON (non-finite figures become null). Never fails.
std::string report_to_json(const ParityReport& report);

/// A few lines per case and a final "verdict: PASS|FAIL" line. Never fails.
std::string report_summary(const ParityReport& report);

/// A greedy run as `{"prompt": [...], "generated": [...], "steps": [{"token", "top1", "top2",
/// "top1_logit", "top2_logit", "margin"}], "timings": {...}}` (the `hfbundle run --json` output; "timings" only
/// when `timings` is given, see run_timings_json). Never fails.
std::string greedy_run_to_json(const GreedyRun& run, const RunTimings* timings = nullptr);

/// Writes `text` to `path` through a temporary file in the same directory, renamed over `path` once
/// complete (no half-written file on failure). Fails with kIo naming the path (the temp file is removed).
Status write_text_file_atomic(const std::string& path, const std::string& text);

}  // namespace hfb
