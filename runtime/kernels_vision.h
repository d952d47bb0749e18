// Float32 kernels of the vision-encoder and merge ops: patch masks, 2-D position embeddings, 2-D RoPE,
// masked bidirectional attention, k x k position pooling, standardize, soft-token scatter.
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/graph_io.h"
#include "core/graph.h"
#include "runtime/kernels_audio.h"

namespace hfb {

/// Runs the vision / merge ops of execute_media_op (same contract).
Status execute_vision_op(const Node& node, const std::vector<MediaTensor>& in, const std::vector<int64_t>& out_dims,
                         float* out);

/// mask[p] = 0 if positions[p] == (-1, -1) else 1.
void kernel_patch_mask(const int64_t* positions, int64_t patches, float* mask);

/// y[p] = table[0, max(x,0)] + table[1, max(y,0)], zero rows for padding patches. Fails with kInvalidArgument
/// for a coordinate >= size.
Status kernel_position_embedding_2d(const float* table, int64_t size, int64_t dim, const int64_t* positions,
                                    int64_t patches, float* y);

/// Gemma 4 vision 2-D RoPE in place on x [P, heads, head_dim]: the first head_dim/2 channels rotate
/// (rotate-half) with the x coordinate, the rest with y; inv_freq[j] = theta^(-2j/(head_dim/2)).
void kernel_rope_2d(float* x, int64_t patches, int64_t heads, int64_t head_dim, const int64_t* positions,
                    double theta);

/// Average pooling by patch position into `length` tokens: token = x/k + (max_x+1)/k * (y/k) (coordinates
/// clamped at 0), each patch weighted 1/k^2. Fails with kInvalidArgument if a token index >= length.
/// image_starts (core/graph_io.h) splits a stacked multi-image input.

/// Per image (image_starts): its tokens at rows [start / kernel^2, ...).
Status kernel_position_pool(const float* x, int64_t patches, int64_t dim, const int64_t* positions, int64_t kernel,
                            int64_t length, float* y);

/// Copies embeds [L, D] to y, then writes the k-th row of soft [N, D] with mask 1 (all rows if mask is null)
/// into the k-th position whose id is token_id. Fails with kInvalidArgument if there are placeholders and
/// their count differs from the number of valid soft rows (no placeholders: a plain copy).
Status kernel_scatter_tokens(const float* embeds, const int64_t* ids, int64_t length, int64_t dim, const float* soft,
                             const float* mask, int64_t soft_rows, int64_t token_id, float* y);

}  // namespace hfb
