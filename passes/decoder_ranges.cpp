// Decoder chunk boundaries: the KV boundary, apportioning N chunks between the two regions and a
// min-max byte balancing inside each region (see docs/passes.md, "chunk-plan").
#include <algorithm>
#include <limits>
#include <numeric>
#include <string>

#include "passes/chunk_plan.h"

namespace hfb {
namespace {

/// Auto mode: CoreML-LLM's decoder chunk count, clamped to the number of layers.
constexpr int kAutoDecoderChunks = 4;

Error plan_error(std::string message) {
  return Error(ErrorCode::kInvalidArgument, "--chunks: " + std::move(message));
}

struct Cost {
  uint64_t max_bytes = std::numeric_limits<uint64_t>::max();
  long double sum_squares = 0;
  bool better_than(const Cost& other) const {
    if (max_bytes != other.max_bytes) return max_bytes < other.max_bytes;
    return sum_squares < other.sum_squares;
  }
};

/// Splits `bytes` into `k` contiguous non-empty groups minimising the largest group, then the sum
/// of squares (the most even split among equals); ties go to the latest cut, so earlier chunks
/// take the extra layer. Returns the group sizes. Requires 1 <= k <= bytes.size().
std::vector<int> balance_region(const std::vector<uint64_t>& bytes, int k) {
  const int n = static_cast<int>(bytes.size());
  std::vector<uint64_t> prefix(n + 1, 0);
  for (int i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + bytes[i];
  // cost[j][i]: best split of the first i layers into j groups; cut[j][i]: start of the last group.
  std::vector<std::vector<Cost>> cost(k + 1, std::vector<Cost>(n + 1));
  std::vector<std::vector<int>> cut(k + 1, std::vector<int>(n + 1, -1));
  cost[0][0] = Cost{0, 0};
  for (int j = 1; j <= k; ++j) {
    for (int i = j; i <= n - (k - j); ++i) {
      for (int p = i - 1; p >= j - 1; --p) {
        const Cost& before = cost[j - 1][p];
        if (before.max_bytes == std::numeric_limits<uint64_t>::max()) continue;
        const uint64_t group = prefix[i] - prefix[p];
        const long double g = static_cast<long double>(group);
        Cost candidate{std::max(before.max_bytes, group), before.sum_squares + g * g};
        if (candidate.better_than(cost[j][i])) {
          cost[j][i] = candidate;
          cut[j][i] = p;
        }
      }
    }
  }
  std::vector<int> sizes(k);
  int end = n;
  for (int j = k; j >= 1; --j) {
    const int start = cut[j][end];
    sizes[j - 1] = end - start;
    end = start;
  }
  return sizes;
}

/// Shares `total` chunks between two regions in proportion to `weight0` : `weight1` (nearest
/// integer, a tie goes to region 0), at least one each and never more than a region's layers.
int apportion_first(int total, long double weight0, long double weight1, int layers0,
                    int layers1) {
  const long double quota = total * weight0 / (weight0 + weight1);
  int n0 = static_cast<int>(quota + 0.5L);
  n0 = std::max(1, std::min(total - 1, n0));
  n0 = std::min(n0, layers0);
  n0 = std::max(n0, total - layers1);
  return n0;
}

Status validate_ranges(const std::vector<LayerRange>& ranges, int num_layers) {
  int expected = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const LayerRange& r = ranges[i];
    const std::string which = "range " + std::to_string(i + 1) + " (" + std::to_string(r.begin) +
                              "-" + std::to_string(r.end - 1) + ")";
    if (r.begin != expected) {
      return plan_error(which + " starts at layer " + std::to_string(r.begin) + ", expected " +
                        std::to_string(expected) +
                        (r.begin < expected ? " (overlaps the previous range)"
                                            : " (layers in between are not covered)") +
                        "; ranges must cover every layer once, in order");
    }
    if (r.end > num_layers) {
      return plan_error(which + " ends past the last decoder layer " +
                        std::to_string(num_layers - 1));
    }
    expected = r.end;
  }
  if (expected != num_layers) {
    return plan_error("ranges end at layer " + std::to_string(expected - 1) +
                      " but the decoder has layers 0-" + std::to_string(num_layers - 1));
  }
  return ok_status();
}

void append_region(const std::vector<uint64_t>& layer_bytes, int begin, int end, int chunks,
                   std::vector<LayerRange>* out) {
  std::vector<uint64_t> region(layer_bytes.begin() + begin, layer_bytes.begin() + end);
  int start = begin;
  for (int size : balance_region(region, chunks)) {
    out->push_back(LayerRange{start, start + size});
    start += size;
  }
}

}  // namespace

uint64_t layer_weight_bytes(const TextLayerSpec& spec, int hidden_size, int ple_dim,
                            uint64_t dtype_bytes) {
  const uint64_t hidden = static_cast<uint64_t>(hidden_size);
  const uint64_t q_width = static_cast<uint64_t>(spec.num_heads) * spec.head_dim;
  const uint64_t kv_width = static_cast<uint64_t>(spec.num_kv_heads) * spec.head_dim;
  uint64_t elements = 2 * q_width * hidden + spec.head_dim;  // q_proj, o_proj, q_norm
  if (spec.kv_shared_from < 0) {
    elements += kv_width * hidden + spec.head_dim;              // k_proj, k_norm
    if (!spec.k_eq_v) elements += kv_width * hidden;            // v_proj (v_norm has no weight)
  }
  elements += 3 * hidden * static_cast<uint64_t>(spec.intermediate_size);  // gate, up, down
  elements += 4 * hidden + 1;  // input, post-attention, pre- and post-feedforward norms; scalar
  if (ple_dim > 0) elements += 2 * hidden * static_cast<uint64_t>(ple_dim) + hidden;
  return elements * dtype_bytes;
}

uint64_t moe_layer_weight_bytes(const TextConfig& text, uint64_t dtype_bytes) {
  if (!text.enable_moe_block) return 0;
  const uint64_t hidden = static_cast<uint64_t>(text.hidden_size);
  const uint64_t experts = static_cast<uint64_t>(text.num_experts);
  const uint64_t inter = static_cast<uint64_t>(text.moe_intermediate_size);
  uint64_t elements = experts * hidden + hidden + experts;  // router.proj, router.scale, per_expert_scale
  elements += experts * 2 * inter * hidden + experts * hidden * inter;  // experts.gate_up_proj, experts.down_proj
  elements += 3 * hidden;  // pre_feedforward_layernorm_2, post_feedforward_layernorm_1 and _2
  return elements * dtype_bytes;
}

Result<std::vector<LayerRange>> plan_decoder_ranges(const std::vector<uint64_t>& layer_bytes,
                                                    int kv_boundary, const ChunkRequest& request) {
  const int num_layers = static_cast<int>(layer_bytes.size());
  if (num_layers == 0) return plan_error("the model has no decoder layers");
  if (kv_boundary < 1 || kv_boundary > num_layers) {
    return Error(ErrorCode::kInternal, "KV boundary " + std::to_string(kv_boundary) +
                                           " outside 1.." + std::to_string(num_layers));
  }
  if (request.mode == ChunkRequest::Mode::kRanges) {
    HFB_TRY(validate_ranges(request.ranges, num_layers));
    return request.ranges;
  }
  int total = request.mode == ChunkRequest::Mode::kCount
                  ? request.count
                  : std::min(kAutoDecoderChunks, num_layers);
  if (request.mode == ChunkRequest::Mode::kCount && (total < 2 || total > num_layers)) {
    return plan_error(std::to_string(total) + " chunks for " + std::to_string(num_layers) +
                      " decoder layers; N must be between 2 and the number of layers");
  }
  std::vector<LayerRange> ranges;
  const int layers0 = kv_boundary;
  const int layers1 = num_layers - kv_boundary;
  if (layers1 == 0 || total < 2) {
    append_region(layer_bytes, 0, num_layers, std::max(1, total), &ranges);
    return ranges;
  }
  long double w0 = layers0, w1 = layers1;
  if (request.apportion == ChunkApportion::kBytes) {
    w0 = std::accumulate(layer_bytes.begin(), layer_bytes.begin() + kv_boundary, 0.0L);
    w1 = std::accumulate(layer_bytes.begin() + kv_boundary, layer_bytes.end(), 0.0L);
    if (w0 + w1 <= 0) w0 = layers0, w1 = layers1;
  }
  const int n0 = apportion_first(total, w0, w1, layers0, layers1);
  append_region(layer_bytes, 0, kv_boundary, n0, &ranges);
  append_region(layer_bytes, kv_boundary, num_layers, total - n0, &ranges);
  return ranges;
}

}  // namespace hfb
