// The contract between the runtime and everything that drives it (run, verify, benchmarks):
// a stateful greedy-decoding session over a model's op graph.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace hfb {

/// Row-major float32 matrix [rows, cols].
struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> data;
  const float* row(int64_t r) const { return data.data() + r * cols; }
};

/// Named intermediate values a caller asks the session to capture during prefill, e.g.
/// "hidden_states.<i>" (same meaning as HF's output_hidden_states: 0 = scaled embeddings,
/// i = output of decoder layer i-1 after layer_scalar, num_layers = final-normed output),
/// and for multimodal inputs the tower taps ("audio_tower_output", "vision_layer_output.1", ...).
using Taps = std::map<std::string, Matrix>;

/// Optional multimodal inputs of one prompt (float32, as stored in the goldens).
struct MediaInputs {
  Matrix input_features;                 ///< [T, n_mels] (batch 1), empty if no audio
  std::vector<uint8_t> input_features_mask;  ///< [T], 1 = valid frame
  Matrix pixel_values;                   ///< [P, 3*patch*patch], empty if no image
  std::vector<int64_t> image_position_ids;   ///< [P, 2] (x, y) per patch, (-1, -1) = padding
};

/// The last row of `m` as a [1, cols] matrix (m itself when it has at most one row).
inline Matrix last_row(Matrix m) {
  if (m.rows <= 1) return m;
  Matrix last;
  last.rows = 1;
  last.cols = m.cols;
  last.data.assign(m.data.end() - m.cols, m.data.end());
  return last;
}

class Session {
 public:
  virtual ~Session() = default;
  virtual int64_t vocab_size() const = 0;
  virtual int num_layers() const = 0;
  /// Clears the KV caches; the next call must be prefill.
  virtual void reset() = 0;
  /// Runs the whole prompt; returns logits for every position [L, V] (after final softcapping).
  /// If `taps` is non-null, fills it with every capturable intermediate value.
  virtual Result<Matrix> prefill(const std::vector<int64_t>& ids, const MediaInputs* media, Taps* taps) = 0;
  /// Like prefill, but returns only the last position's logits [1, V] (all that generation needs): a session
  /// may skip the LM head, final softcap and the other row-wise ops that feed only the logits for the other
  /// positions (on a 262k-row head they cost more than several decoder layers). Taps and caches are as after
  /// prefill, and the row equals prefill's last row up to summation order (the one-row head runs the fused
  /// decode-and-dot kernel instead of the tiled product). The default runs prefill and keeps its last row.
  virtual Result<Matrix> prefill_last(const std::vector<int64_t>& ids, const MediaInputs* media, Taps* taps) {
    HFB_TRY(Matrix all, prefill(ids, media, taps));
    return last_row(std::move(all));
  }
  /// Appends one token and returns its logits [1, V].
  virtual Result<Matrix> decode(int64_t id) = 0;
  /// Expert-bank weights (elements) the last prefill or decode read: the routed experts' gate, up and down
  /// rows, once per MoE layer (0 for dense models and sessions that do not count).
  virtual int64_t experts_weights_read() const { return 0; }
  /// Weight bytes the session's kernels have read so far (a running total; 0 if not counted): a linear
  /// reads its whole matrix (codes, scales, LUTs), a gather one stored row per id.
  virtual uint64_t weight_bytes_read() const { return 0; }
  /// Diagnostics after non-finite logits: with `on`, later prefill and decode calls scan every op output for
  /// NaN/Inf (slower; off, calls pay nothing), and first_nonfinite() describes the first such value of the
  /// last call ("'layer.3.attn_out' (attention) is NaN at row 0 element 5; ..."), "" if there was none or the
  /// session cannot tell.
  virtual void set_check_finite(bool /*on*/) {}
  virtual std::string first_nonfinite() const { return ""; }
};

}  // namespace hfb
