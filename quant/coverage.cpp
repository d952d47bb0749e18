// Coverage report: applying the policy to a tensor table, per-tensor rows, totals, readable table.
#include "quant/coverage.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "quant/nonfinite_rule.h"

namespace hfb {
namespace {

std::string format(const char* fmt, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, value);
  return buf;
}

std::string snr_text(double snr) {
  if (std::isinf(snr)) return snr > 0 ? "inf" : "-inf";
  return format("%.1f", snr);
}

std::string mib(uint64_t bytes) { return format("%.3f", static_cast<double>(bytes) / (1024.0 * 1024.0)); }

std::string totals_line(const std::string& label, const CoverageTotals& t) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "  %-28s %4lld/%-4lld quantized  %10s -> %10s MiB  SNR %s dB\n", label.c_str(),
                static_cast<long long>(t.quantized), static_cast<long long>(t.tensors), mib(t.bytes_before).c_str(),
                mib(t.bytes_after).c_str(), t.quantized ? snr_text(t.snr_db()).c_str() : "-");
  return buf;
}

void accumulate(CoverageTotals* t, const CoverageEntry& e) {
  ++t->tensors;
  t->bytes_before += e.bytes_before;
  t->bytes_after += e.bytes_after;
  if (!e.metrics) return;
  ++t->quantized;
  t->quantized_weights += e.metrics->num_weights;
  t->sse += e.metrics->sse;
  t->signal += e.metrics->signal;
}

}  // namespace

double CoverageTotals::snr_db() const {
  if (sse == 0) return std::numeric_limits<double>::infinity();
  if (signal == 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / sse);
}

void CoverageReport::add(CoverageEntry entry) {
  accumulate(&total, entry);
  accumulate(&by_role[std::string(role_name(entry.role))], entry);
  entries.push_back(std::move(entry));
}

Result<QuantizedTable> quantize_table(const QuantPolicy& policy, const TensorTable& tensors) {
  return quantize_table(policy, tensors, {});
}

Result<QuantizedTable> quantize_table(const QuantPolicy& policy, const TensorTable& tensors,
                                      const std::map<std::string, std::string>& chunk_of) {
  QuantizedTable out;
  for (const TensorInfo& info : tensors.tensors()) {
    const auto chunk = chunk_of.find(info.name);
    auto decided = policy.decide(info, chunk == chunk_of.end() ? std::string_view() : std::string_view(chunk->second));
    if (!decided.ok()) return std::move(decided).error().with_tensor(info.name);
    auto decision = keep_nonfinite_float(info, std::move(decided).value());  // NaN/Inf never quantized finite
    if (!decision.ok()) return std::move(decision).error().with_tensor(info.name);
    CoverageEntry entry;
    entry.name = info.name;
    entry.role = info.role;
    entry.tower = info.tower;
    entry.scheme = decision->scheme;
    entry.reason = decision->reason;
    entry.fallback = decision->fallback;
    entry.rule = decision->rule;
    entry.bytes_before = info.num_bytes;
    entry.bytes_after = info.num_bytes;
    if (decision->scheme != Scheme::kNone) {
      QuantParams params = decision->params;
      params.compute_metrics = true;
      auto encoded = quantize(decision->scheme, info, params);
      if (!encoded.ok()) return std::move(encoded).error().with_tensor(info.name);
      entry.bytes_after = encoded->encoded_bytes();
      entry.metrics = encoded->metrics;
      out.encoded.emplace(info.name, std::move(encoded).value());
    }
    out.coverage.add(std::move(entry));
  }
  return out;
}

std::string coverage_summary(const CoverageReport& report) {
  std::string out = "quantization coverage by role:\n";
  for (const auto& [role, totals] : report.by_role) out += totals_line(role, totals);
  out += totals_line("total", report.total);
  return out;
}

std::string coverage_table(const CoverageReport& report) {
  std::string out;
  for (const CoverageEntry& e : report.entries) {
    char buf[256];
    std::snprintf(buf, sizeof(buf), "%-60s %-22s %-6s %-8s %10llu -> %10llu  SNR %7s  maxrel %9s  sse/w %10s  ",
                  e.name.c_str(), std::string(role_name(e.role)).c_str(), std::string(tower_name(e.tower)).c_str(),
                  std::string(scheme_name(e.scheme)).c_str(), static_cast<unsigned long long>(e.bytes_before),
                  static_cast<unsigned long long>(e.bytes_after),
                  e.metrics ? snr_text(e.metrics->snr_db()).c_str() : "-",
                  e.metrics ? format("%.3g", e.metrics->max_rel_error()).c_str() : "-",
                  e.metrics ? format("%.3g", e.metrics->sse_per_weight()).c_str() : "-");
    out += buf + ("[" + std::string(policy_rule_name(e.rule)) + "] ") + e.reason + "\n";
  }
  return out + coverage_summary(report);
}

}  // namespace hfb
