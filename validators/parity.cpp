// Greedy parity against Hugging Face goldens: runs each case, compares, and applies the verdict rule.
#include "validators/parity.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/graph_io.h"
#include "validators/parity_greedy.h"
#include "validators/parity_metrics.h"

namespace hfb {

const char* case_status_name(CaseStatus status) {
  switch (status) {
    case CaseStatus::kPass: return "pass";
    case CaseStatus::kFail: return "fail";
    case CaseStatus::kSkipped: return "skipped";
  }
  return "fail";
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Prefill: max-abs over all positions and teacher-forced top-1 agreement.
void compare_prefill(const GoldenCase& g, const Matrix& ours, CaseReport* r) {
  const Matrix& ref = g.prefill_logits;
  if (ours.rows != ref.rows || ours.cols != ref.cols) {
    r->prefill_max_abs_logit_diff = kInf;
    return;
  }
  int agree = 0;
  for (int64_t p = 0; p < ref.rows; ++p) {
    r->prefill_max_abs_logit_diff =
        std::max(r->prefill_max_abs_logit_diff, max_abs_diff(ours.row(p), ref.row(p), ref.cols));
    if (top_two(ours.row(p), ref.cols).top1 == top_two(ref.row(p), ref.cols).top1) ++agree;
  }
  r->teacher_forced_top1_agreement = ref.rows > 0 ? static_cast<double>(agree) / ref.rows : 1.0;
}

// Steps: tokens until the first divergence; logits and KL on every step whose context equals the
// golden's (steps 0..first_divergence inclusive).
void compare_steps(const GoldenCase& g, const Matrix& ours, const std::vector<int64_t>& tokens, CaseReport* r) {
  const int total = static_cast<int>(g.greedy.size());
  r->tokens_total = total;
  int matched = 0;
  while (matched < total && matched < static_cast<int>(tokens.size()) && tokens[matched] == g.greedy[matched]) {
    ++matched;
  }
  r->tokens_matched = matched;
  int compared = matched;
  if (matched < total) {
    r->first_divergence = matched;
    r->golden_margin_at_divergence = g.steps[matched].margin;
    compared = matched + 1;
  }
  compared = std::min<int64_t>(compared, ours.rows);
  double step_max = 0.0, kl_sum = 0.0;
  const bool shape_ok = ours.cols == g.step_logits.cols;
  for (int k = 0; k < compared && shape_ok; ++k) {
    step_max = std::max(step_max, max_abs_diff(ours.row(k), g.step_logits.row(k), ours.cols));
    kl_sum += kl_divergence_logits(g.step_logits.row(k), ours.row(k), ours.cols);
  }
  if (!shape_ok || compared < std::min(total, matched + 1)) step_max = kInf;
  r->kl_divergence_mean = compared > 0 ? kl_sum / compared : 0.0;
  r->max_abs_logit_diff = std::max(step_max, r->prefill_max_abs_logit_diff);
}

LayerReport compare_layer(int index, const Matrix& ref, const Matrix& ours, const VerifyOptions& options) {
  LayerReport layer;
  layer.index = index;
  if (ours.rows != ref.rows || ours.cols != ref.cols) {
    layer.max_abs = kInf;
    layer.cosine = 0.0;
    layer.drifting = true;
    return layer;
  }
  double scale = 1.0;
  for (float v : ref.data) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  for (int64_t p = 0; p < ref.rows; ++p) {
    layer.max_abs = std::max(layer.max_abs, max_abs_diff(ours.row(p), ref.row(p), ref.cols));
    layer.cosine = std::min(layer.cosine, cosine_similarity(ours.row(p), ref.row(p), ref.cols));
  }
  layer.drifting = !(layer.max_abs <= options.hidden_max_abs_rel_tolerance * scale) ||
                   !(layer.cosine >= 1.0 - options.hidden_cosine_tolerance);
  return layer;
}

void compare_hidden(const GoldenCase& g, const Taps& taps, int num_layers, const VerifyOptions& options,
                    CaseReport* r) {
  for (const auto& [index, ref] : g.hidden_states) {
    auto it = taps.find(hidden_states_tap(index));
    if (it == taps.end()) continue;  // the runtime cannot capture it: nothing to compare
    LayerReport layer = compare_layer(index, ref, it->second, options);
    if (layer.drifting && !r->first_drifting_layer) {
      // index i (1..nl-1) is the output of decoder layer i-1; 0 = embeddings; nl = final norm.
      r->first_drifting_layer = index >= num_layers ? num_layers : index - 1;
    }
    r->layers.push_back(layer);
  }
}

std::string format_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

// Fails the case naming the first drifting tap and how many taps drift.
void judge_taps(CaseReport* report) {
  CaseReport& r = *report;
  const auto first = std::find_if(r.taps.begin(), r.taps.end(), [](const TapReport& t) { return !t.pass; });
  const auto drifting = std::count_if(r.taps.begin(), r.taps.end(), [](const TapReport& t) { return !t.pass; });
  if (!r.reason.empty()) r.reason += "; ";
  r.status = CaseStatus::kFail;
  r.reason += "tower tap '" + first->name + "' drifts (";
  r.reason += first->problem.empty() ? "max_abs " + format_double(first->max_abs) + " vs limit " +
                                           format_double(first->limit) + ", cosine " + format_double(first->cosine)
                                     : first->problem;
  r.reason += "); " + std::to_string(drifting) + " of " + std::to_string(r.taps.size()) + " taps drift";
}

}  // namespace

CaseReport compare_case(const GoldenCase& golden_case, const Matrix& ours_prefill, const Matrix& ours_steps,
                        const std::vector<int64_t>& ours_tokens, const Taps& taps, int num_layers,
                        const VerifyOptions& options) {
  CaseReport r;
  r.name = golden_case.name;
  r.generated = ours_tokens;
  compare_prefill(golden_case, ours_prefill, &r);
  compare_steps(golden_case, ours_steps, ours_tokens, &r);
  compare_hidden(golden_case, taps, num_layers, options, &r);
  r.taps = compare_tower_taps(golden_case, taps, options.tap_max_abs_rel_tolerance, options.tap_cosine_tolerance);
  r.first_drifting_tap = first_drifting_tap(r.taps);
  return r;
}

void judge_case(const GoldenCase& golden_case, const VerifyOptions& options, CaseReport* r) {
  r->status = CaseStatus::kPass;
  r->reason.clear();
  if (r->first_divergence) {
    const int k = *r->first_divergence;
    const double margin = *r->golden_margin_at_divergence;
    if (!(margin < options.margin_threshold)) {
      r->status = CaseStatus::kFail;
      const int64_t ours = k < static_cast<int>(r->generated.size()) ? r->generated[k] : -1;
      r->reason = "token diverges at step " + std::to_string(k) + " (ours " + std::to_string(ours) +
                  ", golden " + std::to_string(golden_case.greedy[k]) + ") where the golden margin " +
                  format_double(margin) + " is not below --margin " + format_double(options.margin_threshold);
    }
  }
  if (options.logit_tolerance && !(r->max_abs_logit_diff <= *options.logit_tolerance)) {
    if (!r->reason.empty()) r->reason += "; ";
    r->status = CaseStatus::kFail;
    r->reason += "max |logit diff| " + format_double(r->max_abs_logit_diff) + " exceeds --logit-tolerance " +
                 format_double(*options.logit_tolerance);
  }
  if (options.logit_tolerance && r->first_drifting_tap) judge_taps(r);
  if (options.logit_tolerance && r->moe_routing && !r->moe_routing->pass()) {
    const MoeRoutingReport& m = *r->moe_routing;
    if (!r->reason.empty()) r->reason += "; ";
    r->status = CaseStatus::kFail;
    r->reason += "router: " + std::to_string(m.mismatched_sets) + " of " + std::to_string(m.decisions) +
                 " expert sets differ" + (m.first_mismatch.empty() ? "" : " (first: " + m.first_mismatch + ")") +
                 ", " + std::to_string(m.count_mismatches) + " expert counts differ, max weight diff " +
                 format_double(m.max_abs_weight_diff);
  }
  if (r->image_blocks_match && !*r->image_blocks_match) {
    if (!r->reason.empty()) r->reason += "; ";
    r->status = CaseStatus::kFail;
    r->reason += "image blocks (mm_blocks) differ from the golden's mm_token_type_ids";
  }
}

namespace {

Status check_options(const VerifyOptions& options) {
  if (!(options.margin_threshold >= 0.0) || !std::isfinite(options.margin_threshold)) {
    return Error(ErrorCode::kInvalidArgument, "--margin must be a finite number >= 0");
  }
  if (options.logit_tolerance &&
      (!(*options.logit_tolerance >= 0.0) || !std::isfinite(*options.logit_tolerance))) {
    return Error(ErrorCode::kInvalidArgument, "--logit-tolerance must be a finite number >= 0 or 'off'");
  }
  return ok_status();
}

// The graph's image blocks (tap mm_blocks, prefill) against HF's derivation from mm_token_type_ids.
std::optional<bool> compare_image_blocks(const GoldenCase& c, const Taps& taps) {
  auto types = c.id_tensors.find("mm_token_type_ids");
  auto ours = taps.find("mm_blocks");
  if (types == c.id_tensors.end() || ours == taps.end()) return std::nullopt;
  std::vector<int64_t> type_ids(types->second.data.begin(), types->second.data.end());
  const std::vector<int64_t> expected = blocks_from_token_types(type_ids);
  if (static_cast<int64_t>(expected.size()) != static_cast<int64_t>(ours->second.data.size())) return false;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (static_cast<int64_t>(ours->second.data[i]) != expected[i]) return false;
  }
  return true;
}

// KL over every golden step with ours teacher-forced on the golden's continuation: one prefill of prompt +
// greedy[0..steps-2]; row prompt-1+k is step k's distribution. kUnsupported leaves it unset.
Status add_continuation_kl(Session& session, const GoldenCase& c, CaseReport* r) {
  const int64_t steps = std::min<int64_t>(static_cast<int64_t>(c.greedy.size()), c.step_logits.rows);
  if (steps < 1 || c.prompt.empty() || c.step_logits.cols != session.vocab_size()) return ok_status();
  std::vector<int64_t> ids = c.prompt;
  ids.insert(ids.end(), c.greedy.begin(), c.greedy.begin() + (steps - 1));
  session.reset();
  Result<Matrix> logits = session.prefill(ids, c.has_media() ? &c.media : nullptr, nullptr);
  if (!logits.ok()) {
    if (logits.error().code == ErrorCode::kUnsupported) return ok_status();
    return std::move(logits).error().with_context("teacher-forcing golden case '" + c.name + "'");
  }
  const int64_t first = static_cast<int64_t>(c.prompt.size()) - 1;
  if (logits->rows != static_cast<int64_t>(ids.size()) || logits->cols != c.step_logits.cols) {
    return Error(ErrorCode::kInternal, "prefill returned logits of the wrong shape");
  }
  double sum = 0.0;
  for (int64_t k = 0; k < steps; ++k) sum += kl_divergence_logits(c.step_logits.row(k), logits->row(first + k), logits->cols);
  r->continuation_kl_divergence_mean = sum / static_cast<double>(steps);
  return ok_status();
}

// Runs one case; kUnsupported from the session makes it "skipped", other errors are returned.
Result<CaseReport> run_case(Session& session, const GoldenCase& c, const VerifyOptions& options, size_t index,
                            size_t count) {
  GreedyOptions greedy;
  greedy.max_new_tokens = static_cast<int>(c.greedy.size());
  greedy.keep_logits = true;
  if (options.on_progress) {
    greedy.on_step = [&options, index, count, total = greedy.max_new_tokens](int done) {
      options.on_progress(index, count, done, total);
    };
  }
  Taps taps;
  const bool want_taps = !c.hidden_states.empty() || !c.taps.empty() || !c.id_tensors.empty();
  Result<GreedyRun> run = run_greedy(session, c.prompt, c.has_media() ? &c.media : nullptr,
                                     want_taps ? &taps : nullptr, greedy);
  if (!run.ok()) {
    if (run.error().code != ErrorCode::kUnsupported) {
      return std::move(run).error().with_context("while running golden case '" + c.name + "'");
    }
    CaseReport skipped;
    skipped.name = c.name;
    skipped.status = CaseStatus::kSkipped;
    skipped.reason = run.error().to_string();
    skipped.tokens_total = static_cast<int>(c.greedy.size());
    return skipped;
  }
  CaseReport r = compare_case(c, run->prefill_logits, run->step_logits, run->generated, taps,
                              session.num_layers(), options);
  r.image_blocks_match = compare_image_blocks(c, taps);
  HFB_TRY(r.moe_routing, check_moe_routing(session, c));
  HFB_TRY(add_continuation_kl(session, c, &r));
  judge_case(c, options, &r);
  return r;
}

}  // namespace

Result<ParityReport> verify_against_golden(Session& session, const Golden& golden, const VerifyOptions& options) {
  HFB_TRY(check_options(options));
  HFB_TRY(Golden selected, select_golden_cases(golden, options.cases));
  if (selected.vocab_size != session.vocab_size()) {
    return Error(ErrorCode::kInvalidArgument,
                 "the golden's logits have " + std::to_string(selected.vocab_size) +
                     " columns but the model's vocabulary is " + std::to_string(session.vocab_size()) +
                     " (golden of another model?)")
        .with_path(golden.dir);
  }
  ParityReport report;
  report.model = options.model;
  report.golden = golden.dir;
  report.margin_threshold = options.margin_threshold;
  report.logit_tolerance = options.logit_tolerance;
  report.pass = !selected.cases.empty();
  for (size_t i = 0; i < selected.cases.size(); ++i) {
    const GoldenCase& c = selected.cases[i];
    HFB_TRY(CaseReport r, run_case(session, c, options, i, selected.cases.size()));
    report.tokens_total += r.tokens_total;
    report.tokens_matched += r.tokens_matched;
    report.pass = report.pass && r.status == CaseStatus::kPass;
    report.cases.push_back(std::move(r));
  }
  return report;
}

}  // namespace hfb
