// AutoQuantResult rendering: the measurements JSON stored as the recipe's notes (hfbundle-auto-recipe/2) and the printed table.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "pipeline/auto_quant.h"

namespace hfb {
namespace {

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), pattern, value);
  return buffer;
}

}  // namespace

std::string AutoQuantResult::to_json() const {
  nlohmann::ordered_json j;
  j["format"] = "hfbundle-auto-recipe/2";
  j["max_kl"] = max_kl;
  j["calibration"] = calibration;
  j["calibration_positions"] = calibration_positions;
  j["selection_positions"] = selection_positions;
  j["validation_positions"] = validation_positions;
  j["kl_divergence_mean"] = kl_divergence_mean;
  j["selection_kl"] = selection_kl;
  j["validation_kl"] = validation_kl;
  j["working_budget"] = working_budget;
  j["bytes"] = bytes;
  j["measurements"] = measurements;
  nlohmann::ordered_json round_list = nlohmann::ordered_json::array();
  for (const AutoRound& r : rounds) {
    round_list.push_back({{"budget", r.budget}, {"selection_kl", r.selection_kl}, {"validation_kl", r.validation_kl},
                          {"bytes", r.bytes}});
  }
  j["rounds"] = std::move(round_list);
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const AutoUnit& u : units) {
    nlohmann::ordered_json unit;
    unit["chunk"] = u.chunk;
    unit["role"] = std::string(role_name(u.role));
    unit["scheme"] = std::string(scheme_name(u.chosen));
    unit["sensitivity"] = u.sensitivity;
    unit["tensors"] = u.tensors.size();
    list.push_back(std::move(unit));
  }
  j["units"] = std::move(list);
  return j.dump(2) + "\n";
}

std::string AutoQuantResult::to_string() const {
  std::string s = "quant auto: --max-kl " + format("%.3g", max_kl) + ", calibration: " + calibration + " (" +
                  std::to_string(calibration_positions) + " positions)\n";
  char line[256];
  std::snprintf(line, sizeof(line), "  %-12s %-22s %-6s %s\n", "chunk", "role", "scheme", "KL alone per scheme");
  s += line;
  for (const AutoUnit& u : units) {
    std::string alone;
    for (const auto& [name, kl] : u.sensitivity) alone += (alone.empty() ? "" : ", ") + name + " " + format("%.3g", kl);
    std::snprintf(line, sizeof(line), "  %-12s %-22s %-6s %s\n", u.chunk.empty() ? "(shared)" : u.chunk.c_str(),
                  std::string(role_name(u.role)).c_str(), std::string(scheme_name(u.chosen)).c_str(), alone.c_str());
    s += line;
  }
  for (const AutoRound& r : rounds) {
    s += "  round: working budget " + format("%.4g", r.budget) + ": selection KL " + format("%.4g", r.selection_kl) +
         ", confirmation KL " + format("%.4g", r.validation_kl) + (r.confirmed ? " (kept)" : " (over the margin: tighten)") + ", " +
         std::to_string(r.bytes) + " bytes\n";
  }
  s += "  chosen: mean KL " + format("%.4g", kl_divergence_mean) + " nats on the calibration data (selection " +
       format("%.4g", selection_kl) + " on " + std::to_string(selection_positions) + " positions, confirmation " +
       format("%.4g", validation_kl) + " on " + std::to_string(validation_positions) + "), " + std::to_string(bytes) +
       " tensor bytes (" + std::to_string(measurements) + " measurements)\n";
  std::string entries;
  for (const auto& [chunk, scheme] : policy.chunk_types) entries += " --chunk-type " + chunk + "=" + std::string(scheme_name(scheme));
  for (const auto& [role, scheme] : policy.role_types) entries += " --role-type " + std::string(role_name(role)) + "=" + std::string(scheme_name(scheme));
  for (const auto& [regex, scheme] : policy.tensor_types) entries += " --tensor-type " + regex + "=" + std::string(scheme_name(scheme));
  s += "  recipe:" + entries + "\n";
  return s;
}

}  // namespace hfb
