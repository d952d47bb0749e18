// Parity report output: the JSON document (docs/verify-report.md), a human summary, and atomic file writing.
#include "validators/report.h"

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

namespace hfb {

namespace {

using json = nlohmann::ordered_json;  // keeps the documented field order

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

template <typename T>
json optional_or_null(const std::optional<T>& v) {
  if (!v) return nullptr;
  if constexpr (std::is_floating_point_v<T>) return number_or_null(*v);
  return *v;
}

json case_to_json(const CaseReport& c) {
  json j = json::object();
  j["name"] = c.name;
  j["status"] = case_status_name(c.status);
  if (!c.reason.empty()) j["reason"] = c.reason;
  j["tokens_total"] = c.tokens_total;
  j["tokens_matched"] = c.tokens_matched;
  j["first_divergence"] = optional_or_null(c.first_divergence);
  j["golden_margin_at_divergence"] = optional_or_null(c.golden_margin_at_divergence);
  const bool ran = c.status != CaseStatus::kSkipped;
  j["max_abs_logit_diff"] = ran ? number_or_null(c.max_abs_logit_diff) : json(nullptr);
  j["prefill_max_abs_logit_diff"] = ran ? number_or_null(c.prefill_max_abs_logit_diff) : json(nullptr);
  j["kl_divergence_mean"] = ran ? number_or_null(c.kl_divergence_mean) : json(nullptr);
  j["teacher_forced_top1_agreement"] = ran ? number_or_null(c.teacher_forced_top1_agreement) : json(nullptr);
  j["continuation_kl_divergence_mean"] =
      ran && c.continuation_kl_divergence_mean ? number_or_null(*c.continuation_kl_divergence_mean) : json(nullptr);
  j["first_drifting_layer"] = optional_or_null(c.first_drifting_layer);
  json layers = json::array();
  for (const LayerReport& l : c.layers) {
    layers.push_back({{"index", l.index}, {"max_abs", number_or_null(l.max_abs)}, {"cosine", number_or_null(l.cosine)}});
  }
  j["layers"] = std::move(layers);
  j["first_drifting_tap"] = optional_or_null(c.first_drifting_tap);
  json taps = json::array();
  for (const TapReport& t : c.taps) {
    json tap = {{"name", t.name},           {"max_abs", number_or_null(t.max_abs)},
                {"cosine", number_or_null(t.cosine)}, {"limit", number_or_null(t.limit)},
                {"valid_rows", t.valid_rows}, {"pass", t.pass}};
    if (!t.problem.empty()) tap["problem"] = t.problem;
    taps.push_back(std::move(tap));
  }
  j["taps"] = std::move(taps);
  if (c.moe_routing) {
    const MoeRoutingReport& m = *c.moe_routing;
    j["moe_routing"] = {{"layers", m.layers},
                        {"positions", m.positions},
                        {"mismatched_sets", m.mismatched_sets},
                        {"max_abs_weight_diff", number_or_null(m.max_abs_weight_diff)},
                        {"count_mismatches", m.count_mismatches},
                        {"expert_counts", m.expert_counts},
                        {"pass", m.pass()}};
  }
  if (c.image_blocks_match) j["image_blocks_match"] = *c.image_blocks_match;
  return j;
}

std::string fmt(const char* pattern, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), pattern, v);
  return buf;
}

// One line for the tower taps, then one line per drifting tap.
void summarize_taps(const CaseReport& c, std::ostringstream& out) {
  if (c.taps.empty()) return;
  double worst_cos = 1.0, worst_ratio = 0.0;
  int drifting = 0;
  for (const TapReport& t : c.taps) {
    worst_cos = std::min(worst_cos, t.cosine);
    worst_ratio = std::max(worst_ratio, t.limit > 0.0 ? t.max_abs / t.limit : t.max_abs);
    drifting += !t.pass;
  }
  out << "  tower taps: " << c.taps.size() << " compared, " << drifting << " drifting, worst max-abs/limit "
      << fmt("%.3g", worst_ratio) << ", worst cosine " << fmt("%.8f", worst_cos);
  if (c.first_drifting_tap) out << ", first drifting tap " << *c.first_drifting_tap;
  out << "\n";
  for (const TapReport& t : c.taps) {
    if (t.pass) continue;
    out << "    " << t.name << ": max-abs " << fmt("%.3g", t.max_abs) << " (limit " << fmt("%.3g", t.limit)
        << "), cosine " << fmt("%.8f", t.cosine) << (t.problem.empty() ? "" : ", " + t.problem) << "\n";
  }
}

void summarize_case(const CaseReport& c, std::ostringstream& out) {
  out << "case " << c.name << ": " << case_status_name(c.status) << "  tokens " << c.tokens_matched << "/"
      << c.tokens_total;
  if (c.status == CaseStatus::kSkipped) {
    out << "\n  skipped: " << c.reason << "\n";
    return;
  }
  if (c.first_divergence) {
    out << "  first divergence at step " << *c.first_divergence << " (golden margin "
        << fmt("%.4g", *c.golden_margin_at_divergence) << ")";
  }
  out << "\n  max |logit diff| " << fmt("%.3g", c.max_abs_logit_diff) << " (prefill "
      << fmt("%.3g", c.prefill_max_abs_logit_diff) << ")  KL mean " << fmt("%.3g", c.kl_divergence_mean)
      << "  teacher-forced top-1 " << fmt("%.1f", 100.0 * c.teacher_forced_top1_agreement) << "%";
  if (c.continuation_kl_divergence_mean) {
    out << "  KL over the golden continuation " << fmt("%.3g", *c.continuation_kl_divergence_mean);
  }
  out << "\n";
  if (!c.layers.empty()) {
    double worst_cos = 1.0, worst_abs = 0.0;
    for (const LayerReport& l : c.layers) {
      worst_cos = std::min(worst_cos, l.cosine);
      worst_abs = std::max(worst_abs, l.max_abs);
    }
    out << "  hidden states: " << c.layers.size() << " compared, worst max-abs " << fmt("%.3g", worst_abs)
        << ", worst cosine " << fmt("%.8f", worst_cos);
    if (c.first_drifting_layer) out << ", first drifting layer " << *c.first_drifting_layer;
    out << "\n";
  }
  summarize_taps(c, out);
  if (c.moe_routing) {
    const MoeRoutingReport& m = *c.moe_routing;
    out << "  router: " << m.decisions - m.mismatched_sets << "/" << m.decisions << " expert sets as golden ("
        << m.layers << " layers x " << m.positions << " positions), max weight diff "
        << fmt("%.3g", m.max_abs_weight_diff) << ", expert counts " << (m.count_mismatches ? "differ" : "equal")
        << "\n";
  }
  if (c.image_blocks_match) {
    out << "  image blocks: " << (*c.image_blocks_match ? "equal to" : "DIFFER from") << " mm_token_type_ids\n";
  }
  if (!c.reason.empty()) out << "  reason: " << c.reason << "\n";
}

}  // namespace

std::string report_to_json(const ParityReport& report) {
  json j = json::object();
  j["verdict"] = report.pass ? "pass" : "fail";
  j["model"] = report.model;
  j["golden"] = report.golden;
  j["margin_threshold"] = report.margin_threshold;
  j["logit_tolerance"] = optional_or_null(report.logit_tolerance);
  j["tokens_total"] = report.tokens_total;
  j["tokens_matched"] = report.tokens_matched;
  j["chunks"] = report.chunks;
  json cases = json::array();
  for (const CaseReport& c : report.cases) cases.push_back(case_to_json(c));
  j["cases"] = std::move(cases);
  return j.dump(2) + "\n";
}

std::string report_summary(const ParityReport& report) {
  std::ostringstream out;
  out << "model:  " << report.model << "\ngolden: " << report.golden << "\n";
  out << "rules:  --margin " << fmt("%g", report.margin_threshold) << ", --logit-tolerance "
      << (report.logit_tolerance ? fmt("%g", *report.logit_tolerance) : std::string("off")) << "\n";
  if (!report.chunks.empty()) {
    out << "chunks: " << report.chunks.size() << " chunk graphs run in sequence:";
    for (const std::string& chunk : report.chunks) out << " " << chunk;
    out << "\n";
  }
  for (const CaseReport& c : report.cases) summarize_case(c, out);
  out << "tokens matched " << report.tokens_matched << "/" << report.tokens_total << "\n";
  out << "verdict: " << (report.pass ? "PASS" : "FAIL") << "\n";
  return out.str();
}

std::string greedy_run_to_json(const GreedyRun& run, const RunTimings* timings) {
  json steps = json::array();
  for (const GreedyStep& s : run.steps) {
    steps.push_back({{"token", s.token},
                     {"top1", s.top.top1},
                     {"top2", s.top.top2},
                     {"top1_logit", number_or_null(s.top.top1_value)},
                     {"top2_logit", number_or_null(s.top.top2_value)},
                     {"margin", number_or_null(s.top.margin())}});
  }
  json j = {{"prompt", run.prompt}, {"generated", run.generated}, {"steps", std::move(steps)}};
  const auto& reads = run.decode_experts_weights_read;
  if (std::any_of(reads.begin(), reads.end(), [](int64_t n) { return n > 0; })) {
    j["decode_experts_weights_read"] = reads;  // MoE: routed experts' weights per decode step (elements)
  }
  if (timings != nullptr) j["timings"] = json::parse(run_timings_json(*timings));
  return j.dump() + "\n";
}

Status write_text_file_atomic(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) {
    return Error(ErrorCode::kIo, std::string("cannot create a temporary file: ") + std::strerror(errno))
        .with_path(path);
  }
  ::fchmod(fd, 0644);  // mkstemp creates 0600; a report is an ordinary file
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const bool ok = written == text.size() && ::fsync(fd) == 0;
  const int saved_errno = errno;
  if (::close(fd) != 0 || !ok) {
    ::unlink(tmp.c_str());
    return Error(ErrorCode::kIo, std::string("write failed: ") + std::strerror(ok ? errno : saved_errno))
        .with_path(path);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_errno = errno;
    ::unlink(tmp.c_str());
    return Error(ErrorCode::kIo, std::string("cannot rename the temporary file into place: ") +
                                     std::strerror(rename_errno))
        .with_path(path);
  }
  return ok_status();
}

}  // namespace hfb
