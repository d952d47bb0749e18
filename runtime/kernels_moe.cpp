// Kernels of the Mixture-of-Experts ops and token_blocks (see kernels_moe.h).
#include "runtime/kernels_moe.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

#include "core/thread_pool.h"
#include "runtime/kernels.h"

namespace hfb {

void kernel_moe_route(const float* logits, int64_t rows, int64_t experts, const float* per_expert_scale,
                      int64_t top_k, float* routing) {
  std::vector<float> probs(static_cast<size_t>(experts));
  std::vector<int64_t> order(static_cast<size_t>(experts));
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = logits + r * experts;
    const float max_logit = *std::max_element(row, row + experts);
    float sum = 0.0f;
    for (int64_t e = 0; e < experts; ++e) {
      probs[e] = std::exp(row[e] - max_logit);
      sum += probs[e];
    }
    for (int64_t e = 0; e < experts; ++e) probs[e] /= sum;
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + top_k, order.end(), [&](int64_t a, int64_t b) {
      return probs[a] > probs[b] || (probs[a] == probs[b] && a < b);
    });
    float top_sum = 0.0f;
    for (int64_t j = 0; j < top_k; ++j) top_sum += probs[order[j]];
    float* out = routing + r * 2 * top_k;
    for (int64_t j = 0; j < top_k; ++j) {
      const int64_t e = order[j];
      out[j] = static_cast<float>(e);
      out[top_k + j] = probs[e] / top_sum * per_expert_scale[e];
    }
  }
}

namespace {

/// The (row, slot) pairs routed to each expert, in row order.
std::vector<std::vector<int64_t>> group_by_expert(const float* routing, const MoeExpertsParams& p) {
  std::vector<std::vector<int64_t>> groups(static_cast<size_t>(p.experts));
  for (int64_t r = 0; r < p.rows; ++r) {
    for (int64_t j = 0; j < p.top_k; ++j) {
      const auto e = static_cast<int64_t>(routing[r * 2 * p.top_k + j]);
      if (e >= 0 && e < p.experts) groups[e].push_back(r * p.top_k + j);
    }
  }
  return groups;
}

// y[count, out_rows] = x[count, in] * bank[expert]^T, from the expert's rows in their stored format only.
void bank_product(const MatrixView& bank, int64_t expert, int64_t out_rows, const float* x, int64_t count, float* y) {
  const int64_t in = bank.cols;
  const int64_t first = expert * out_rows;
  const int64_t grain = std::max<int64_t>(16, 8192 / std::max<int64_t>(1, in));
  ThreadPool::global().parallel_for(out_rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t m = 0; m < count; ++m) {
      matrix_dot_rows(bank, x + m * in, first + begin, first + end, y + m * out_rows + begin);
    }
  });
}

}  // namespace

Result<MatrixView> expert_bank_view(const MatrixView& m, int64_t experts, int64_t rows_per_expert, int64_t cols) {
  if (m.rows == experts * rows_per_expert && m.cols == cols) return m;
  const bool plain = m.format == RowFormat::kF32 || m.format == RowFormat::kBF16 || m.format == RowFormat::kF16;
  if (plain && m.rows == experts && m.cols == rows_per_expert * cols && m.row_stride % rows_per_expert == 0) {
    MatrixView stacked = m;  // [E, R*C] floats are the same bytes as [E*R, C]
    stacked.rows = experts * rows_per_expert;
    stacked.cols = cols;
    stacked.row_stride = m.row_stride / rows_per_expert;
    return stacked;
  }
  return Error(ErrorCode::kInvalidArgument,
               "runtime: expert bank stored as [" + std::to_string(m.rows) + ", " + std::to_string(m.cols) + "] " +
                   row_format_name(m.format) + ", expected [" + std::to_string(experts) + "*" +
                   std::to_string(rows_per_expert) + ", " + std::to_string(cols) + "]");
}

void kernel_moe_experts(const float* x, const float* routing, const MatrixView& gate_up, const MatrixView& down,
                        const MoeExpertsParams& p, float* out, std::vector<float>& scratch) {
  const int64_t h = p.hidden;
  const int64_t inter = p.intermediate;
  // Per (row, slot): the weighted expert output; summed in slot order at the end.
  std::vector<float> slots(static_cast<size_t>(p.rows * p.top_k * h), 0.0f);
  const auto groups = group_by_expert(routing, p);
  for (int64_t e = 0; e < p.experts; ++e) {
    const auto& members = groups[e];
    const auto count = static_cast<int64_t>(members.size());
    if (count == 0) continue;
    const size_t need = static_cast<size_t>(count * (h + 2 * inter + inter + h));
    if (scratch.size() < need) scratch.resize(need);
    float* xs = scratch.data();
    float* gu = xs + count * h;
    float* act = gu + count * 2 * inter;
    float* ys = act + count * inter;
    for (int64_t m = 0; m < count; ++m) std::memcpy(xs + m * h, x + (members[m] / p.top_k) * h, sizeof(float) * h);
    bank_product(gate_up, e, 2 * inter, xs, count, gu);
    for (int64_t m = 0; m < count; ++m) {
      const float* gate = gu + m * 2 * inter;
      const float* up = gate + inter;
      float* a = act + m * inter;
      if (p.silu) {
        kernel_silu(gate, inter, a);
      } else {
        kernel_gelu_tanh(gate, inter, a);
      }
      for (int64_t i = 0; i < inter; ++i) a[i] *= up[i];
    }
    bank_product(down, e, h, act, count, ys);
    for (int64_t m = 0; m < count; ++m) {
      const int64_t slot = members[m];
      const int64_t r = slot / p.top_k;
      const float w = routing[r * 2 * p.top_k + p.top_k + slot % p.top_k];
      float* dst = slots.data() + slot * h;
      for (int64_t d = 0; d < h; ++d) dst[d] = ys[m * h + d] * w;
    }
  }
  for (int64_t r = 0; r < p.rows; ++r) {
    float* y = out + r * h;
    std::fill(y, y + h, 0.0f);
    for (int64_t j = 0; j < p.top_k; ++j) {
      const float* src = slots.data() + (r * p.top_k + j) * h;
      for (int64_t d = 0; d < h; ++d) y[d] += src[d];
    }
  }
}

void kernel_token_blocks(const int64_t* ids, int64_t length, const std::vector<int64_t>& token_ids, float* blocks) {
  int64_t next = 0;
  bool previous = false;
  for (int64_t i = 0; i < length; ++i) {
    const bool member = std::find(token_ids.begin(), token_ids.end(), ids[i]) != token_ids.end();
    if (member && !previous) ++next;
    blocks[i] = member ? static_cast<float>(next - 1) : -1.0f;
    previous = member;
  }
}

}  // namespace hfb
