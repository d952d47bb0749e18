// Float32 kernels of the multimodal ops used by the audio conformer (conv subsampling, LayerNorm, GLU,
// causal depthwise conv, chunked local attention with relative positions) and the dispatch of every
// multimodal op for the graph interpreter. Row-major; sizes are trusted (the graph was validated).
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/graph.h"

namespace hfb {

/// One operand of a multimodal op as the interpreter hands it over: float data or I64 data, and dims
/// with the symbolic length resolved. An absent optional input has both pointers null.
struct MediaTensor {
  const float* data = nullptr;
  const int64_t* ints = nullptr;
  std::vector<int64_t> dims;
  int64_t elements() const;
};

/// True for the ops listed under "Multimodal ops" in core/graph.h.
bool is_media_op(OpType op);

/// Runs one multimodal op into `out` (dims of the output, `out_data` sized for them). Fails with
/// kInvalidArgument only for data-dependent errors (scatter_tokens: placeholder count differs from the
/// number of valid soft tokens; position_pool: a patch pooled outside the output).
Status execute_media_op(const Node& node, const std::vector<MediaTensor>& in, const std::vector<int64_t>& out_dims,
                        float* out_data);

/// y[oh, ow, co] = sum x[oh*s+i-p, ow*s+j-p, ci] * w[co, ci, i, j] (zero padding), x [h, w, cin] channels-last.
void kernel_conv2d(const float* x, int64_t h, int64_t w, int64_t cin, const float* weight, int64_t cout, int64_t kh,
                   int64_t kw, int64_t stride, int64_t padding, float* y);

/// LayerNorm without bias per row: (x - mean) / sqrt(var + eps) * w (`w` may be null).
void kernel_layer_norm(const float* x, int64_t rows, int64_t dim, const float* w, float eps, float* y);

/// y[r, i] = x[r, i] * sigmoid(x[r, half + i]) for rows of 2*half.
void kernel_glu(const float* x, int64_t rows, int64_t half, float* y);

/// Causal depthwise conv over time: y[t, c] = sum_k x[t - (K-1) + k, c] * w[c, k] (x before 0 is zero).
void kernel_depthwise_conv1d(const float* x, int64_t t, int64_t channels, const float* w, int64_t kernel, float* y);

/// Rows position = count-1 .. 0, columns [sin(pos * inv_ts[j]) | cos(pos * inv_ts[j])], inv_ts[j] =
/// exp(-j * ln(1e4) / max(dim/2 - 1, 1)) (Gemma 4 audio relative positional encoding).
void kernel_sinusoid_positions(int64_t count, int64_t dim, float* y);

struct LocalAttentionParams {
  int64_t length = 0;     ///< T
  int64_t heads = 0;
  int64_t head_dim = 0;
  int64_t rel_count = 0;  ///< F rows of rel_k
  int64_t chunk = 0;
  int64_t context_left = 1;  ///< keys with 0 <= q - k < context_left - 1 (HF's sliding window)
  int64_t context_right = 0;
  float logit_cap = 50.0f;
  float invalid_logit = -1e9f;
  /// HF eager quirk (decba1d): Gemma4AudioAttention masks with `mask.logical_not()` on the float (0 / min)
  /// mask eager attention builds, so the in-range keys OUTSIDE the window / padding are the ones attended.
  bool inverted_mask = false;
};

/// Chunked local attention with Transformer-XL relative positions exactly as Gemma4AudioAttention: logits
/// = q.k + rel_shift(q.rel_k), soft-capped, masked (window, padded frames: mask 0) with invalid_logit, softmax
/// over each block's context, times v. q, k, v [T, H, D], rel_k [F, H, D], mask [T], out [T, H, D].
void kernel_local_attention(const float* q, const float* k, const float* v, const float* rel_k, const float* mask,
                            const LocalAttentionParams& p, float* out);

}  // namespace hfb
