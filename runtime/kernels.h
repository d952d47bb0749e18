// Float32 compute kernels of the reference runtime (one per graph op; matrix products through BLAS).
// Row-major throughout; pointers are never null unless documented; sizes are trusted (the graph was validated).
#pragma once

#include <cstdint>
#include <vector>

namespace hfb {

/// Products with fewer multiply-adds than this run OpenBLAS on one thread.
constexpr int64_t kBlasThreadingMultiplyAdds = int64_t{1} << 22;
/// Sets OpenBLAS's thread count for a product of `multiply_adds` (1 below the threshold, else the count
/// OpenBLAS started with, e.g. from OPENBLAS_NUM_THREADS). Never fails.
void blas_threads_for(int64_t multiply_adds);

/// y[rows, out] = x[rows, in] * w[out, in]^T (cblas_sgemv for one row, cblas_sgemm otherwise).
void kernel_linear(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y);

/// y = x * (mean(x^2) + eps)^-0.5 * w per row of `dim` elements; `w` may be null (no weight).
void kernel_rms_norm(const float* x, int64_t rows, int64_t dim, const float* w, float eps, float* y);

/// Inverse frequencies [head_dim / 2] as HF computes them in float32. Default: 1/theta^(2j/head_dim) for
/// every j. Proportional: the first int(fraction * head_dim / 2) as default, the rest 0 (identity).
std::vector<float> rope_inverse_frequencies(bool proportional, double theta, double fraction, int64_t head_dim);

/// Rotate-half RoPE in place on x [rows, heads, head_dim], angle = positions[row] * inv_freq[j mod head_dim/2].
void kernel_rope(float* x, int64_t rows, int64_t heads, int64_t head_dim, const int64_t* positions,
                 const std::vector<float>& inverse_frequencies);

float gelu_tanh(float x);
void kernel_gelu_tanh(const float* x, int64_t count, float* y);
void kernel_silu(const float* x, int64_t count, float* y);
/// y = tanh(x / cap) * cap
void kernel_softcap(const float* x, int64_t count, float cap, float* y);

/// True if a query at `query_position` may attend a key at `key_position` (negative key_position: empty slot).
/// Sliding window W: key <= query and key > query - W (W keys including the query itself).
inline bool attention_allowed(int64_t query_position, int64_t key_position, bool causal, int64_t window) {
  if (key_position < 0) return false;
  if (causal && key_position > query_position) return false;
  if (window > 0 && key_position <= query_position - window) return false;
  return true;
}

struct AttentionParams {
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t window = 0;  ///< 0: no window
  bool causal = true;
  float scaling = 1.0f;
  float softcap = 0.0f;  ///< 0: none
  /// Bidirectional blocks (token_blocks): block id per query of this run (-1: none), or null. A key of this run
  /// (position in [first, first + L)) in the query's block is visible even when later; the window still applies.
  const float* block_ids = nullptr;
};

/// attention_allowed, plus the block rule: also allowed when the key is in the query's block (block >= 0)
/// and inside the window (HF create_masks_for_vision_model: AND(window, OR(causal, same block))).
inline bool attention_allowed_blocks(int64_t query_position, int64_t key_position, bool causal, int64_t window,
                                     float query_block, float key_block) {
  if (attention_allowed(query_position, key_position, causal, window)) return true;
  if (key_position < 0 || query_block < 0.0f || query_block != key_block) return false;
  return window <= 0 || key_position > query_position - window;
}

/// A run of keys/values [count, num_kv_heads, head_dim] with their absolute positions (-1: empty slot).
struct KeySegment {
  const float* keys = nullptr;
  const float* values = nullptr;
  const int64_t* positions = nullptr;
  int64_t count = 0;
};

/// out[q, heads, head_dim] = softmax(q.k * scaling (+softcap), masked) . v over every key of `segments`.
/// (query, head) pairs run on the global thread pool in fixed ranges with per-thread score buffers; `scratch`
/// is unused. A query with no allowed key yields zeros.
void kernel_attention(const float* q, const int64_t* q_positions, int64_t num_queries,
                      const std::vector<KeySegment>& segments, const AttentionParams& params, float* out,
                      std::vector<float>& scratch);

}  // namespace hfb
