// A tiny deterministic Session for parity tests: logits are a closed-form function of (position, token),
// with per-position overrides (to make near-ties) and "ours-only" bumps (to make divergences and drift).
#pragma once

#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "runtime/session.h"
#include "validators/golden.h"
#include "validators/parity_greedy.h"

namespace hfb::testing {

class FakeSession : public Session {
 public:
  static constexpr int64_t kVocab = 8;
  static constexpr int kLayers = 3;
  static constexpr int64_t kHidden = 4;

  int64_t vocab_size() const override { return kVocab; }
  int num_layers() const override { return kLayers; }
  void reset() override { context_.clear(); }

  Result<Matrix> prefill(const std::vector<int64_t>& ids, const MediaInputs* media, Taps* taps) override {
    if (media != nullptr && unsupported_media) return Error(ErrorCode::kUnsupported, "no towers in FakeSession");
    context_.clear();
    Matrix out{0, kVocab, {}};
    for (int64_t id : ids) append_row(id, &out);
    if (taps != nullptr) fill_taps(ids, taps);
    return out;
  }

  Result<Matrix> decode(int64_t id) override {
    Matrix out{0, kVocab, {}};
    append_row(id, &out);
    return out;
  }

  /// Keyed by (first prompt token, position), so one case can be changed without touching another.
  using Key = std::pair<int64_t, int64_t>;
  std::map<Key, std::vector<float>> overrides;             ///< -> logits row
  std::map<Key, std::pair<int64_t, float>> bumps;          ///< -> (token, delta)
  std::map<int, float> hidden_bumps;                            ///< hidden_states index -> delta on [0][0]
  bool unsupported_media = true;

 private:
  void append_row(int64_t id, Matrix* out) {
    const int64_t p = static_cast<int64_t>(context_.size());
    context_.push_back(id);
    std::vector<float> row(kVocab);
    const Key key{context_.front(), p};
    auto it = overrides.find(key);
    for (int64_t v = 0; v < kVocab; ++v) {
      row[v] = it != overrides.end() ? it->second[v]
                                     : static_cast<float>(3.0 * std::sin(1.3 * v + 0.7 * id + 0.11 * p));
    }
    auto bump = bumps.find(key);
    if (bump != bumps.end()) row[bump->second.first] += bump->second.second;
    out->data.insert(out->data.end(), row.begin(), row.end());
    out->rows += 1;
  }

  void fill_taps(const std::vector<int64_t>& ids, Taps* taps) {
    for (int i = 0; i <= kLayers; ++i) {
      Matrix m{static_cast<int64_t>(ids.size()), kHidden, {}};
      for (size_t p = 0; p < ids.size(); ++p) {
        for (int64_t h = 0; h < kHidden; ++h) {
          m.data.push_back(static_cast<float>(std::cos(0.5 * i + 0.3 * h + 0.2 * p + 0.1 * ids[p])));
        }
      }
      auto bump = hidden_bumps.find(i);
      if (bump != hidden_bumps.end()) m.data[0] += bump->second;
      (*taps)["hidden_states." + std::to_string(i)] = std::move(m);
    }
  }

  std::vector<int64_t> context_;
};

/// A golden case recorded from `session` itself (so the same session matches it exactly).
inline GoldenCase record_golden_case(FakeSession& session, const std::string& name,
                                     const std::vector<int64_t>& prompt, int steps) {
  GreedyOptions options;
  options.max_new_tokens = steps;
  options.keep_logits = true;
  Taps taps;
  GreedyRun run = run_greedy(session, prompt, nullptr, &taps, options).value();
  GoldenCase c;
  c.name = name;
  c.prompt = prompt;
  c.greedy = run.generated;
  for (const GreedyStep& s : run.steps) {
    c.steps.push_back({s.token, s.top.top1, s.top.top2, s.top.top1_value, s.top.top2_value, s.top.margin()});
  }
  c.prefill_logits = run.prefill_logits;
  c.step_logits = run.step_logits;
  for (int i = 0; i <= FakeSession::kLayers; ++i) c.hidden_states[i] = taps["hidden_states." + std::to_string(i)];
  return c;
}

}  // namespace hfb::testing
