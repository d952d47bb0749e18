// Tower tap comparison for multimodal golden cases: which rows are valid, the data-flow order of the taps,
// and max-abs / cosine per tap against the golden (the tap part of the parity report).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/session.h"
#include "validators/golden.h"

namespace hfb {

/// A tower tap is within tolerance when max_abs <= kTapMaxAbsRelTolerance * max(1, max|golden|) over the
/// valid rows and the lowest per-row cosine is >= 1 - kTapCosineTolerance.
constexpr double kTapMaxAbsRelTolerance = 1e-3;
constexpr double kTapCosineTolerance = 1e-4;

/// One stored tower tap of a case ("audio_tower_output", "vision_layer_output.1", ...).
struct TapReport {
  std::string name;
  int64_t valid_rows = 0;  ///< rows compared (padded audio frames and padding patches excluded)
  double max_abs = 0.0;    ///< over the valid rows; +inf when missing or of another shape
  double cosine = 1.0;     ///< the lowest per-row cosine over the valid rows; 0 when missing
  double limit = 0.0;      ///< the max-abs tolerance that applied
  bool pass = false;
  std::string problem;     ///< "" or why it could not be compared ("not produced by the runtime", shapes)
};

/// True for the tower taps the verifier compares (audio_subsample_output, audio_layer_output.<i>,
/// audio_tower_output, audio_embedded, vision_patch_embeddings, vision_layer_output.<i>, vision_pooled,
/// vision_tower_output, vision_embedded). Masks and inputs are not taps.
bool is_tower_tap(const std::string& name);

/// Rows of golden tap `name` (with `rows` rows) that hold real data: audio taps by the case's
/// audio_output_mask, per-patch vision taps by image_position_ids ((-1,-1) = padding). Never fails.
std::vector<bool> tap_valid_rows(const GoldenCase& golden_case, const std::string& name, int64_t rows);

/// Every tower tap of the golden case in data-flow order (audio before vision, layers by number) compared
/// with `ours`. A tap the runtime did not produce, with fewer rows or other columns, is reported as failing;
/// when ours has more rows (vision pooled taps keep padding tokens last) the golden's rows are compared.
/// Never fails.
std::vector<TapReport> compare_tower_taps(const GoldenCase& golden_case, const Taps& ours,
                                          double max_abs_rel_tolerance = kTapMaxAbsRelTolerance,
                                          double cosine_tolerance = kTapCosineTolerance);

/// Name of the first failing tap of `taps` (data-flow order), or nullopt.
std::optional<std::string> first_drifting_tap(const std::vector<TapReport>& taps);

}  // namespace hfb
