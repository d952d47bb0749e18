// Router choices against the golden's router_topk_ids / weights / expert counts (see parity_moe.h).
#include "validators/parity_moe.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/graph_io.h"

namespace hfb {
namespace {

std::string set_text(const std::set<int64_t>& s) {
  std::string out = "{";
  for (int64_t e : s) out += (out.size() > 1 ? "," : "") + std::to_string(e);
  return out + "}";
}

// One layer: ours [T, 2k] (ids then weights), golden ids [T, k] and weights [T, k] (may be absent).
void compare_layer(int layer, const Matrix& ours, const Matrix& ids, const Matrix* weights, MoeRoutingReport* r) {
  const int64_t k = ids.cols;
  std::vector<int64_t> counts;
  for (int64_t t = 0; t < ids.rows; ++t) {
    std::set<int64_t> mine, theirs;
    for (int64_t j = 0; j < k; ++j) {
      const auto e = static_cast<int64_t>(ours.row(t)[j]);
      mine.insert(e);
      theirs.insert(static_cast<int64_t>(ids.row(t)[j]));
      if (e >= static_cast<int64_t>(counts.size())) counts.resize(static_cast<size_t>(e + 1), 0);
      if (e >= 0) ++counts[e];
    }
    if (mine != theirs) {
      if (r->mismatched_sets++ == 0) {
        r->first_mismatch = "layer " + std::to_string(layer) + " position " + std::to_string(t) + ": ours " +
                            set_text(mine) + ", golden " + set_text(theirs);
      }
      continue;
    }
    for (int64_t j = 0; weights && j < k; ++j) {
      for (int64_t g = 0; g < k; ++g) {
        if (ids.row(t)[g] != ours.row(t)[j]) continue;
        const double diff = std::fabs(double(ours.row(t)[k + j]) - weights->row(t)[g]);
        r->max_abs_weight_diff = std::max(r->max_abs_weight_diff, diff);
      }
    }
  }
  r->expert_counts.push_back(std::move(counts));
}

}  // namespace

Result<MoeRoutingReport> compare_moe_routing(const GoldenCase& c, const Taps& ours) {
  MoeRoutingReport r;
  for (int layer = 0;; ++layer) {
    auto ids = c.id_tensors.find("router_topk_ids." + std::to_string(layer));
    if (ids == c.id_tensors.end()) break;
    auto tap = ours.find(moe_routing_tap(layer));
    if (tap == ours.end() || tap->second.rows != ids->second.rows || tap->second.cols != 2 * ids->second.cols) {
      return Error(ErrorCode::kInvalidArgument, "golden case '" + c.name + "': layer " + std::to_string(layer) +
                                                    " has router ids but the model has no matching routing tap " +
                                                    moe_routing_tap(layer) + " (not a MoE model of this shape?)");
    }
    auto weights = c.taps.find("router_topk_weights." + std::to_string(layer));
    compare_layer(layer, tap->second, ids->second, weights == c.taps.end() ? nullptr : &weights->second, &r);
    r.positions = ids->second.rows;
    ++r.layers;
  }
  r.decisions = r.positions * r.layers;
  for (size_t layer = 0; layer < c.moe_expert_counts.size() && layer < r.expert_counts.size(); ++layer) {
    const auto& golden = c.moe_expert_counts[layer];
    auto mine = r.expert_counts[layer];
    mine.resize(std::max(mine.size(), golden.size()), 0);
    for (size_t e = 0; e < mine.size(); ++e) {
      r.count_mismatches += (e < golden.size() ? golden[e] : 0) != mine[e];
    }
  }
  return r;
}

Result<std::optional<MoeRoutingReport>> check_moe_routing(Session& session, const GoldenCase& c) {
  if (!c.id_tensors.count("router_topk_ids.0")) return std::optional<MoeRoutingReport>();
  std::vector<int64_t> tokens = c.prompt;
  if (!c.greedy.empty()) tokens.insert(tokens.end(), c.greedy.begin(), c.greedy.end() - 1);
  Taps taps;
  session.reset();
  HFB_TRY(Matrix logits, session.prefill(tokens, c.has_media() ? &c.media : nullptr, &taps));
  (void)logits;
  session.reset();
  HFB_TRY(MoeRoutingReport report, compare_moe_routing(c, taps));
  return std::optional<MoeRoutingReport>(std::move(report));
}

std::vector<int64_t> blocks_from_token_types(const std::vector<int64_t>& types) {
  std::vector<int64_t> blocks(types.size(), -1);
  int64_t next = -1;
  bool previous = false;
  for (size_t i = 0; i < types.size(); ++i) {
    const bool vision = types[i] == 1 || types[i] == 2;
    if (vision && !previous) ++next;
    if (vision) blocks[i] = next;
    previous = vision;
  }
  return blocks;
}

}  // namespace hfb
