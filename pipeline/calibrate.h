// Calibrated quantization, the pipeline side: calibration sequences (text through the checkpoint's tokenizer,
// or ids), running the float model on them with an observer on every linear's input (an importance matrix,
// quant/imatrix.h), loading / saving the statistics, and the column weights convert gives each tensor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "quant/imatrix.h"
#include "quant/policy.h"

namespace hfb {

/// --calibrate / --calibrate-ids / --calibrate-context / --imatrix / --save-imatrix (docs/quantization.md).
struct CalibrationOptions {
  std::string text_file;     ///< one sequence a line, tokenized by the checkpoint's tokenizer (bos as configured)
  std::string ids_file;      ///< one sequence a line, ids comma-separated ('#' lines and blank lines skipped)
  std::string imatrix_file;  ///< statistics saved earlier (instead of a calibration file)
  std::string save_file;     ///< write the statistics here (atomic)
  int64_t context = 512;     ///< a longer sequence runs as consecutive windows of this many tokens
  bool enabled() const { return !text_file.empty() || !ids_file.empty() || !imatrix_file.empty(); }
};

/// The calibration sequences of `options` (text_file or ids_file; exactly one is set) for the checkpoint at
/// `checkpoint` (its tokenizer.json for text). Fails with kNotFound for a missing file, kInvalidArgument for a
/// file with no sequences or a bad ids line (named), like load_text_tokenizer / encode for text.
Result<std::vector<std::vector<int64_t>>> read_calibration_sequences(const std::string& checkpoint,
                                                                     const CalibrationOptions& options);

/// Runs `model`'s text graph in float (weights as stored, never quantized) over every sequence (fresh caches
/// each; longer ones as windows of `context` tokens) and sums x^2 per input column of every linear whose weight
/// is a tensor. Deterministic for any thread count. Fails like building the graph and running it
/// (kInvalidArgument for an id outside the vocabulary), or with kInvalidArgument for context < 1.
Result<ImportanceMatrix> collect_imatrix(const Model& model, const std::vector<std::vector<int64_t>>& sequences,
                                         int64_t context);

/// What convert uses: nullopt when `options` asks for no calibration; else the statistics read from
/// imatrix_file (checked against `model`: check_imatrix_matches) or collected on the calibration file, saved to
/// save_file when set. Fails with kInvalidArgument when both a calibration file and --imatrix are given,
/// --save-imatrix without a calibration file, or for another model's statistics (tensor and columns named);
/// else like read_imatrix, read_calibration_sequences, collect_imatrix and the atomic write.
Result<std::optional<ImportanceMatrix>> prepare_imatrix(const Model& model, const CalibrationOptions& options);

/// The column weights convert passes to quantize_weighted for one tensor under `decision` (empty: quantize as
/// usual), and the note it appends to decision->reason: "; calibrated (imatrix)" or "; not calibrated (no
/// statistics: not a text linear's weight)". Schemes without a free choice (calibration_applies) get neither.
std::vector<float> calibration_weights(const ImportanceMatrix* imatrix, const TensorInfo& tensor,
                                       TensorDecision* decision);

/// Saves `imatrix` at `path` atomically (writers/imatrix_writer.h). Fails with kIo naming the path.
Status save_imatrix(const ImportanceMatrix& imatrix, const std::string& path);

}  // namespace hfb
