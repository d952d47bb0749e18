// GgufExportResult rendering: the short summary, the per-tensor table and the JSON.
#include <cstdio>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "pipeline/gguf_export.h"

namespace hfb {
namespace {

std::string mib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

/// "model: 31 Q4_0, 4 F16 (fallback), 33 F32"
std::string type_counts(const std::vector<GgufCoverageEntry>& coverage, const std::string& file) {
  std::map<std::string, std::pair<int, int>> counts;  // type -> (tensors, fallbacks)
  for (const GgufCoverageEntry& e : coverage) {
    if (e.file != file) continue;
    ++counts[e.type].first;
    counts[e.type].second += e.fallback;
  }
  std::string out;
  for (const auto& [type, n] : counts) {
    out += (out.empty() ? "" : ", ") + std::to_string(n.first) + " " + type;
    if (n.second) out += " (" + std::to_string(n.second) + " fallback)";
  }
  return out;
}

}  // namespace

std::string GgufExportResult::to_summary(const std::string& coverage_hint) const {
  std::ostringstream out;
  out << "wrote " << this->out << ": " << model_tensors << " tensors, " << mib(model_bytes) << " ("
      << type_counts(coverage, "model") << ")\n";
  if (!mmproj_out.empty()) {
    out << "wrote " << mmproj_out << ": " << mmproj_tensors << " tensors, " << mib(mmproj_bytes) << " ("
        << type_counts(coverage, "mmproj") << ")\n";
  }
  size_t dropped = 0;
  for (const GgufCoverageEntry& e : coverage) dropped += e.file == "dropped";
  if (dropped) out << "left out: " << dropped << " tensors (unused by the model, or towers without --mmproj-out)\n";
  if (!warnings.empty()) out << warnings.size() << " warning(s), printed on stderr\n";
  if (!coverage_hint.empty()) out << "per-tensor coverage: " << coverage_hint << "\n";
  return out.str();
}

std::string GgufExportResult::to_string() const {
  std::ostringstream out;
  for (const GgufCoverageEntry& e : coverage) {
    out << (e.source_name.empty() ? "(synthesised)" : e.source_name) << " -> "
        << (e.gguf_name.empty() ? "-" : e.gguf_name) << " [" << e.file << (e.type.empty() ? "" : " " + e.type)
        << "] " << e.reason << "\n";
  }
  return out.str() + to_summary();
}

std::string GgufExportResult::to_json() const {
  nlohmann::ordered_json j;
  j["out"] = out;
  j["mmproj_out"] = mmproj_out;
  j["model_tensors"] = model_tensors;
  j["mmproj_tensors"] = mmproj_tensors;
  j["model_bytes"] = model_bytes;
  j["mmproj_bytes"] = mmproj_bytes;
  j["tokenizer_synthesised"] = tokenizer_synthesised;
  j["warnings"] = warnings;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const GgufCoverageEntry& e : coverage) {
    nlohmann::ordered_json t;
    t["tensor"] = e.source_name;
    t["gguf"] = e.gguf_name;
    t["file"] = e.file;
    t["type"] = e.type;
    t["role"] = std::string(role_name(e.role));
    t["reason"] = e.reason;
    t["fallback"] = e.fallback;
    t["bytes_before"] = e.bytes_before;
    t["bytes_after"] = e.bytes_after;
    if (e.metrics) {
      t["snr_db"] = e.metrics->snr_db();
      t["max_abs_error"] = e.metrics->max_abs_error;
    }
    list.push_back(std::move(t));
  }
  j["coverage"] = std::move(list);
  return j.dump(1) + "\n";
}

}  // namespace hfb
