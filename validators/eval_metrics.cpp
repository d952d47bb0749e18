// EvalAccumulator: per-position KL(reference || ours), top-1 agreement and next-token NLL, in double.
#include "validators/eval_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "validators/parity_metrics.h"

namespace hfb {
namespace {

// log(sum(exp(row))) in double; +inf for a non-finite row.
double log_sum_exp(const float* row, int64_t count) {
  double max_value = -INFINITY;
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(row[i])) return INFINITY;
    max_value = std::max(max_value, static_cast<double>(row[i]));
  }
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i) sum += std::exp(static_cast<double>(row[i]) - max_value);
  return max_value + std::log(sum);
}

// KL(softmax(p) || softmax(q)) given both rows' log-sum-exp.
double kl_from_rows(const float* p, double p_lse, const float* q, double q_lse, int64_t count) {
  double kl = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double log_p = static_cast<double>(p[i]) - p_lse;
    const double log_q = static_cast<double>(q[i]) - q_lse;
    kl += std::exp(log_p) * (log_p - log_q);
  }
  return std::max(kl, 0.0);  // rounding may give -1e-17 for identical rows
}

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), pattern, value);
  return buffer;
}

}  // namespace

Status EvalAccumulator::add(const Matrix& reference, const Matrix& ours, const std::vector<int64_t>& ids) {
  const int64_t rows = static_cast<int64_t>(ids.size());
  if (reference.rows != rows || ours.rows != rows || reference.cols != ours.cols || reference.cols < 1) {
    return Error(ErrorCode::kInvalidArgument,
                 "sequence " + std::to_string(sequences_) + ": reference logits [" + std::to_string(reference.rows) +
                     ", " + std::to_string(reference.cols) + "] and ours [" + std::to_string(ours.rows) + ", " +
                     std::to_string(ours.cols) + "] do not both match " + std::to_string(rows) + " ids");
  }
  const int64_t vocab = reference.cols;
  for (int64_t p = 0; p < rows; ++p) {
    const double ref_lse = log_sum_exp(reference.row(p), vocab);
    const double our_lse = log_sum_exp(ours.row(p), vocab);
    if (!std::isfinite(ref_lse) || !std::isfinite(our_lse)) {
      return Error(ErrorCode::kCheckFailed, std::string(std::isfinite(ref_lse) ? "our" : "the reference's") +
                                                " logits hold NaN or Inf at sequence " + std::to_string(sequences_) +
                                                ", position " + std::to_string(p));
    }
    kl_.push_back(kl_from_rows(reference.row(p), ref_lse, ours.row(p), our_lse, vocab));
    if (top_two(reference.row(p), vocab).top1 == top_two(ours.row(p), vocab).top1) ++agree_;
    if (p + 1 < rows) {
      const int64_t next = ids[p + 1];
      nll_reference_ += ref_lse - static_cast<double>(reference.row(p)[next]);
      nll_ours_ += our_lse - static_cast<double>(ours.row(p)[next]);
      ++predicted_;
    }
  }
  ++sequences_;
  return ok_status();
}

EvalReport EvalAccumulator::report() const {
  EvalReport r;
  r.sequences = sequences_;
  r.positions = static_cast<int64_t>(kl_.size());
  r.predicted_tokens = predicted_;
  r.teacher_forced_top1_agreement = kl_.empty() ? 1.0 : static_cast<double>(agree_) / kl_.size();
  if (!kl_.empty()) {
    double sum = 0.0;
    for (double v : kl_) sum += v;
    r.kl_divergence_mean = sum / kl_.size();
    std::vector<double> sorted = kl_;
    std::sort(sorted.begin(), sorted.end());
    const size_t rank = static_cast<size_t>(std::ceil(0.99 * sorted.size()));
    r.kl_divergence_p99 = sorted[std::max<size_t>(rank, 1) - 1];
    r.kl_divergence_max = sorted.back();
  }
  r.perplexity_reference = predicted_ > 0 ? std::exp(nll_reference_ / predicted_) : 1.0;
  r.perplexity_ours = predicted_ > 0 ? std::exp(nll_ours_ / predicted_) : 1.0;
  return r;
}

std::string eval_report_to_json(const EvalReport& r) {
  nlohmann::ordered_json j;
  j["format"] = "hfbundle-eval/1";
  j["model"] = r.model;
  j["reference"] = r.reference;
  j["ids"] = r.ids_source;
  j["sequences"] = r.sequences;
  j["positions"] = r.positions;
  j["predicted_tokens"] = r.predicted_tokens;
  j["kl_divergence_mean"] = r.kl_divergence_mean;
  j["kl_divergence_p99"] = r.kl_divergence_p99;
  j["kl_divergence_max"] = r.kl_divergence_max;
  j["teacher_forced_top1_agreement"] = r.teacher_forced_top1_agreement;
  j["perplexity_reference"] = r.perplexity_reference;
  j["perplexity_ours"] = r.perplexity_ours;
  j["seconds"] = r.seconds;
  return j.dump(2) + "\n";
}

std::string eval_report_summary(const EvalReport& r) {
  std::string s = "eval " + r.model + " against " + r.reference + " on " + r.ids_source + "\n";
  s += "  " + std::to_string(r.sequences) + " sequences, " + std::to_string(r.positions) + " positions (" +
       std::to_string(r.predicted_tokens) + " predicted tokens), " + format("%.2f", r.seconds) + " s\n";
  s += "  KL(ref || ours) nats: mean " + format("%.4g", r.kl_divergence_mean) + "  p99 " +
       format("%.4g", r.kl_divergence_p99) + "  max " + format("%.4g", r.kl_divergence_max) + "\n";
  s += "  teacher-forced top-1 agreement " + format("%.2f", 100.0 * r.teacher_forced_top1_agreement) + " %\n";
  s += "  perplexity: reference " + format("%.4f", r.perplexity_reference) + "  ours " +
       format("%.4f", r.perplexity_ours) + "\n";
  return s;
}

}  // namespace hfb
