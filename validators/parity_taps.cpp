// Tower tap comparison for multimodal golden cases (max-abs and cosine over the valid rows, in data-flow order;
// the golden's rows when ours has more).
#include "validators/parity_taps.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "core/graph_io.h"
#include "validators/parity_metrics.h"

namespace hfb {

namespace {

// The taps in data-flow order; a trailing '.' marks a per-layer family ("<prefix><i>").
constexpr const char* kTapOrder[] = {"audio_subsample_output", "audio_layer_output.", "audio_tower_output",
                                     "audio_embedded",         "vision_patch_embeddings", "vision_layer_output.",
                                     "vision_pooled",          "vision_tower_output",     "vision_embedded"};
constexpr int kNumTapKinds = static_cast<int>(sizeof(kTapOrder) / sizeof(kTapOrder[0]));

bool is_layer_family(const char* prefix) { return std::string(prefix).back() == '.'; }

// (kind, layer) of a tap name; kind == -1 when it is not a tower tap.
std::pair<int, long> tap_rank(const std::string& name) {
  for (int kind = 0; kind < kNumTapKinds; ++kind) {
    const std::string prefix = kTapOrder[kind];
    if (!is_layer_family(kTapOrder[kind])) {
      if (name == prefix) return {kind, 0};
      continue;
    }
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    return {kind, std::stol(digits)};
  }
  return {-1, 0};
}

bool is_per_patch_vision_tap(const std::string& name) {
  return name == "vision_patch_embeddings" || name.rfind("vision_layer_output.", 0) == 0;
}

TapReport compare_one(const GoldenCase& c, const std::string& name, const Matrix& golden, const Matrix* ours,
                      double max_abs_rel_tolerance, double cosine_tolerance) {
  TapReport t;
  t.name = name;
  const std::vector<bool> valid = tap_valid_rows(c, name, golden.rows);
  double peak = 0.0;
  for (int64_t r = 0; r < golden.rows; ++r) {
    if (!valid[static_cast<size_t>(r)]) continue;
    ++t.valid_rows;
    for (int64_t i = 0; i < golden.cols; ++i) peak = std::max(peak, std::fabs(double(golden.row(r)[i])));
  }
  t.limit = max_abs_rel_tolerance * std::max(1.0, peak);
  // Ours may have more rows (the vision graph keeps padding pooled tokens after the valid ones); the golden's
  // rows are compared, fewer rows is a failure.
  if (!ours || ours->rows < golden.rows || ours->cols != golden.cols) {
    t.problem = !ours ? "not produced by the runtime"
                      : "shape [" + std::to_string(ours->rows) + ", " + std::to_string(ours->cols) +
                            "], golden [" + std::to_string(golden.rows) + ", " + std::to_string(golden.cols) + "]";
    t.max_abs = std::numeric_limits<double>::infinity();
    t.cosine = 0.0;
    return t;
  }
  for (int64_t r = 0; r < golden.rows; ++r) {
    if (!valid[static_cast<size_t>(r)]) continue;
    t.max_abs = std::max(t.max_abs, max_abs_diff(ours->row(r), golden.row(r), golden.cols));
    t.cosine = std::min(t.cosine, cosine_similarity(ours->row(r), golden.row(r), golden.cols));
  }
  t.pass = t.max_abs <= t.limit && t.cosine >= 1.0 - cosine_tolerance;
  return t;
}

}  // namespace

bool is_tower_tap(const std::string& name) { return tap_rank(name).first >= 0; }

std::vector<bool> tap_valid_rows(const GoldenCase& c, const std::string& name, int64_t rows) {
  std::vector<bool> valid(static_cast<size_t>(std::max<int64_t>(rows, 0)), true);
  auto mask = c.taps.find("audio_output_mask");
  if (name.rfind("audio_", 0) == 0 && mask != c.taps.end()) {
    const std::vector<float>& m = mask->second.data;
    for (int64_t r = 0; r < rows && r < static_cast<int64_t>(m.size()); ++r) valid[r] = m[r] != 0.0f;
  }
  if (is_per_patch_vision_tap(name)) {
    const std::vector<int64_t>& ids = c.media.image_position_ids;
    for (int64_t r = 0; r < rows && 2 * r + 1 < static_cast<int64_t>(ids.size()); ++r) {
      valid[r] = !(ids[2 * r] == -1 && ids[2 * r + 1] == -1);
    }
  }
  return valid;
}

namespace {

// Our pooled vision rows keep each image's padding tokens after its valid ones (images stacked in one input);
// the golden holds only the valid tokens of every image in prompt order. Returns ours with those rows only.
std::optional<Matrix> valid_pooled_rows(const GoldenCase& c, const Matrix& ours) {
  const std::vector<int64_t>& ids = c.media.image_position_ids;
  const auto patches = static_cast<int64_t>(ids.size() / 2);
  if (ours.rows <= 0 || patches % ours.rows != 0) return std::nullopt;
  const int64_t area = patches / ours.rows;
  Matrix out;
  out.cols = ours.cols;
  const std::vector<int64_t> starts = image_starts(ids.data(), patches);
  for (size_t n = 0; n + 1 < starts.size(); ++n) {
    int64_t valid = 0;
    for (int64_t p = starts[n]; p < starts[n + 1]; ++p) valid += !(ids[2 * p] == -1 && ids[2 * p + 1] == -1);
    const int64_t first = starts[n] / area;
    for (int64_t r = first; r < first + valid / area && r < ours.rows; ++r) {
      out.data.insert(out.data.end(), ours.row(r), ours.row(r) + ours.cols);
      ++out.rows;
    }
  }
  return out;
}

bool is_pooled_vision_tap(const std::string& name) {
  return name == "vision_pooled" || name == "vision_tower_output" || name == "vision_embedded";
}

}  // namespace

std::vector<TapReport> compare_tower_taps(const GoldenCase& c, const Taps& ours, double max_abs_rel_tolerance,
                                          double cosine_tolerance) {
  std::vector<std::pair<std::pair<int, long>, std::string>> order;
  for (const auto& [name, golden] : c.taps) {
    auto rank = tap_rank(name);
    if (rank.first >= 0) order.push_back({rank, name});
  }
  std::sort(order.begin(), order.end());
  std::vector<TapReport> out;
  for (const auto& entry : order) {
    auto it = ours.find(entry.second);
    const Matrix& golden = c.taps.at(entry.second);
    std::optional<Matrix> compact;
    if (it != ours.end() && is_pooled_vision_tap(entry.second) && it->second.rows > golden.rows) {
      compact = valid_pooled_rows(c, it->second);
    }
    const Matrix* mine = compact ? &*compact : (it == ours.end() ? nullptr : &it->second);
    out.push_back(compare_one(c, entry.second, golden, mine, max_abs_rel_tolerance, cosine_tolerance));
  }
  return out;
}

std::optional<std::string> first_drifting_tap(const std::vector<TapReport>& taps) {
  for (const TapReport& t : taps) {
    if (!t.pass) return t.name;
  }
  return std::nullopt;
}

}  // namespace hfb
