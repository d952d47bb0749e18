// The quantization coverage report as JSON.
#include "pipeline/coverage_json.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace hfb {
namespace {

using json = nlohmann::ordered_json;

json snr_json(double snr) {
  if (std::isinf(snr)) return snr > 0 ? json("inf") : json("-inf");
  return json(snr);
}

json totals_json(const CoverageTotals& t) {
  json j = json::object();
  j["tensors"] = t.tensors;
  j["quantized"] = t.quantized;
  j["bytes_before"] = t.bytes_before;
  j["bytes_after"] = t.bytes_after;
  j["quantized_weights"] = t.quantized_weights;
  j["snr_db"] = t.quantized ? snr_json(t.snr_db()) : json(nullptr);
  j["sse_per_weight"] = t.quantized_weights ? json(t.sse / static_cast<double>(t.quantized_weights)) : json(nullptr);
  return j;
}

json entry_json(const CoverageEntry& e) {
  json j = json::object();
  j["name"] = e.name;
  j["role"] = std::string(role_name(e.role));
  j["tower"] = std::string(tower_name(e.tower));
  j["scheme"] = std::string(scheme_name(e.scheme));
  j["reason"] = e.reason;
  j["fallback"] = e.fallback;
  j["rule"] = std::string(policy_rule_name(e.rule));
  j["bytes_before"] = e.bytes_before;
  j["bytes_after"] = e.bytes_after;
  j["snr_db"] = e.metrics ? snr_json(e.metrics->snr_db()) : json(nullptr);
  j["max_rel_error"] = e.metrics ? json(e.metrics->max_rel_error()) : json(nullptr);
  j["sse_per_weight"] = e.metrics ? json(e.metrics->sse_per_weight()) : json(nullptr);
  return j;
}

}  // namespace

std::string coverage_to_json(const CoverageReport& report) {
  json j = json::object();
  j["tensors"] = json::array();
  for (const CoverageEntry& e : report.entries) j["tensors"].push_back(entry_json(e));
  j["by_role"] = json::object();
  for (const auto& [role, totals] : report.by_role) j["by_role"][role] = totals_json(totals);
  j["total"] = totals_json(report.total);
  return j.dump(2) + "\n";
}

}  // namespace hfb
