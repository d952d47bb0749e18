// Kernels of the Mixture-of-Experts ops (moe_route, moe_experts) and token_blocks (core/graph.h). Expert banks are
// read in their stored format (quant/matrix_view.h), only the routed experts' rows.
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "quant/matrix_view.h"

namespace hfb {

/// An expert bank [E, R, C] as E*R rows of C (quant/policy.h matrix_view: E stacked matrices) from the view a
/// weight store gives: encoded banks already have E*R rows; float banks mapped as [E, R*C] are re-viewed (same
/// bytes). Fails with kInvalidArgument if `m` is neither shape.
Result<MatrixView> expert_bank_view(const MatrixView& m, int64_t experts, int64_t rows_per_expert, int64_t cols);

/// routing[L, 2k] from logits[L, E]: softmax in f32, the k largest probabilities (ties: lower expert first)
/// renormalised to sum 1 and multiplied by per_expert_scale[e]; columns 0..k-1 hold the expert ids as floats,
/// k..2k-1 the weights (HF Gemma4TextRouter).
void kernel_moe_route(const float* logits, int64_t rows, int64_t experts, const float* per_expert_scale,
                      int64_t top_k, float* routing);

struct MoeExpertsParams {
  int64_t rows = 0;
  int64_t hidden = 0;
  int64_t intermediate = 0;
  int64_t experts = 0;
  int64_t top_k = 0;
  bool silu = false;  ///< false: gelu_tanh
};

/// out[L, H] = sum_j w_j * down_e (act(G_e x) * U_e x) over the routed experts of each row, gate_up [E, 2I, H]
/// (gate rows first) and down [E, H, I], both expert_bank_view()s in any stored format. Each routed expert's
/// rows are computed with the format's fused decode-and-dot kernel (matrix_dot_rows) for every token routed to
/// it, the rows split over the runtime's thread pool (rows are independent: identical for any thread count,
/// and for any grouping of tokens); the sum runs in slot order j = 0..k-1. Reads only the routed experts' rows.
/// Expert ids outside [0, E) are a caller bug (moe_route never makes them).
void kernel_moe_experts(const float* x, const float* routing, const MatrixView& gate_up, const MatrixView& down,
                        const MoeExpertsParams& p, float* out, std::vector<float>& scratch);

/// blocks[L]: each maximal run of positions whose id is in `token_ids` is one block, numbered from 0; -1 elsewhere
/// (HF get_block_sequence_ids_for_mask over mm_token_type_ids).
void kernel_token_blocks(const int64_t* ids, int64_t length, const std::vector<int64_t>& token_ids, float* blocks);

}  // namespace hfb
