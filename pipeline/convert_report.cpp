// The convert report: readable text and JSON of passes, chunk plan, coverage and the written/projected files.
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "pipeline/chunk_plan_json.h"
#include "pipeline/convert.h"
#include "pipeline/coverage_json.h"

namespace hfb {
namespace {

using json = nlohmann::ordered_json;

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

std::string size_line(const ConvertResult& r) {
  return std::to_string(r.tensors_written) + " tensors, " + std::to_string(r.source_bytes) + " source bytes (" +
         mib(r.source_bytes) + ") -> " + std::to_string(r.tensor_bytes) + " tensor bytes, " +
         std::to_string(r.output_bytes) + " in data files (" + mib(r.output_bytes) + ")";
}

json files_json(const std::vector<ConvertFileSummary>& files) {
  json out = json::array();
  for (const ConvertFileSummary& f : files) {
    out.push_back({{"name", f.name}, {"chunk", f.chunk}, {"tensors", f.tensors}, {"bytes", f.bytes}});
  }
  return out;
}

json chunks_json(const PassPipelineResult& pipeline) {
  json out = json::array();
  if (!pipeline.chunk_plan) return out;
  for (const Chunk& c : pipeline.chunk_plan->chunks) {
    out.push_back({{"name", c.name}, {"kind", chunk_kind_name(c.kind)}, {"first_layer", c.layers.begin},
                   {"end_layer", c.layers.end}, {"bytes", c.bytes}});
  }
  return out;
}

json passes_json(const PassPipelineResult& pipeline) {
  json out = json::array();
  for (const PassReport& r : pipeline.reports) {
    out.push_back({{"pass", r.pass}, {"changes", r.changes.size()}, {"bytes_saved", r.bytes_saved()},
                   {"report", r.to_string()}});
  }
  return out;
}

/// "passes: a (2 changes, 1.00 MiB saved), b; unchanged: c, d" in one line.
std::string passes_line(const PassPipelineResult& pipeline) {
  std::string changed;
  std::string unchanged;
  for (const PassReport& r : pipeline.reports) {
    if (r.changes.empty()) {
      unchanged += (unchanged.empty() ? "" : ", ") + r.pass;
      continue;
    }
    changed += (changed.empty() ? "" : ", ") + r.pass + " (" + std::to_string(r.changes.size()) + " changes" +
               (r.bytes_saved() > 0 ? ", " + mib(r.bytes_saved()) + " saved" : "") + ")";
  }
  return "passes: " + (changed.empty() ? std::string("no changes") : changed) +
         (unchanged.empty() ? "" : "; unchanged: " + unchanged) + "\n";
}

/// The chunk plan, one line per chunk; a long plan keeps its first and last 5 chunks.
std::string chunk_plan_lines(const PassPipelineResult& pipeline) {
  if (!pipeline.chunk_plan) return "chunk plan: none (chunk-plan pass disabled: one decoder chunk)\n";
  const auto& chunks = pipeline.chunk_plan->chunks;
  std::string out = "chunk plan: " + std::to_string(chunks.size()) + " chunks\n";
  constexpr size_t kEnds = 5;
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (chunks.size() > 2 * kEnds + 1 && i == kEnds) {
      out += "  ... " + std::to_string(chunks.size() - 2 * kEnds) + " more\n";
      i = chunks.size() - kEnds - 1;
      continue;
    }
    const Chunk& c = chunks[i];
    out += "  " + c.name + " (" + std::string(chunk_kind_name(c.kind)) + ")" +
           (c.kind == ChunkKind::kDecoder
                ? " layers [" + std::to_string(c.layers.begin) + "," + std::to_string(c.layers.end) + ")"
                : "") +
           " " + mib(c.bytes) + "\n";
  }
  return out;
}

/// One line per scheme: its tensor count, bytes before -> after and the roles it covers.
std::string scheme_lines(const CoverageReport& coverage) {
  struct SchemeTotals {
    size_t tensors = 0;
    uint64_t before = 0, after = 0;
    std::map<std::string, size_t> roles;
  };
  std::map<std::string, SchemeTotals> by_scheme;
  for (const CoverageEntry& e : coverage.entries) {
    if (e.bytes_after == 0 && e.reason.rfind("removed by pass", 0) == 0) continue;
    SchemeTotals& t = by_scheme[std::string(scheme_name(e.scheme))];
    ++t.tensors;
    t.before += e.bytes_before;
    t.after += e.bytes_after;
    ++t.roles[std::string(role_name(e.role))];
  }
  std::string out = "schemes by role:\n";
  for (const auto& [scheme, t] : by_scheme) {
    std::string roles;
    for (const auto& [role, n] : t.roles) roles += (roles.empty() ? "" : ", ") + role;
    if (roles.size() > 90) roles = roles.substr(0, 87) + "...";
    out += "  " + scheme + ": " + std::to_string(t.tensors) + " tensors, " + mib(t.before) + " -> " + mib(t.after) +
           " (" + roles + ")\n";
  }
  return out;
}

}  // namespace

std::string ConvertResult::to_summary(const std::string& coverage_hint) const {
  std::string out = passes_line(pipeline) + chunk_plan_lines(pipeline) + scheme_lines(coverage);
  size_t fallbacks = 0;
  for (const CoverageEntry& e : coverage.entries) fallbacks += e.fallback ? 1 : 0;
  if (fallbacks > 0) {
    out += "warning: " + std::to_string(fallbacks) + " tensors fell back to another scheme (see the coverage)\n";
  }
  out += (written ? "wrote " + this->out + ": " : std::string("dry run: projected ")) + size_line(*this) + " in " +
         std::to_string(files.size()) + " data files\n";
  if (!coverage_hint.empty()) out += "per-tensor coverage: " + coverage_hint + "\n";
  return out;
}

std::string ConvertResult::to_string() const {
  std::string out = pipeline.to_string();  // the chunk-plan pass report prints the plan (once)
  out += "quantization coverage (every tensor):\n" + coverage_table(coverage);
  if (!written) return out + "dry run: nothing written; projected " + size_line(*this) + "\n";
  out += "wrote " + this->out + ": " + size_line(*this) + "\n";
  for (const ConvertFileSummary& f : files) {
    out += "  " + f.name + (f.chunk.empty() ? "" : " (" + f.chunk + ")") + ": " + std::to_string(f.tensors) +
           " tensors, " + std::to_string(f.bytes) + " bytes\n";
  }
  return out;
}

std::string ConvertResult::to_json() const {
  json out = json::object();
  out["written"] = written;
  out["out"] = this->out;
  out["bytes_saved"] = pipeline.bytes_saved;
  out["projected_bytes"] = pipeline.projected_bytes;
  out["passes"] = passes_json(pipeline);
  out["chunks"] = chunks_json(pipeline);
  out["tensors_written"] = tensors_written;
  out["tensor_bytes"] = tensor_bytes;
  out["source_bytes"] = source_bytes;
  out["output_bytes"] = output_bytes;
  out["files"] = files_json(files);
  out["coverage"] = json::parse(coverage_to_json(coverage));
  return out.dump() + "\n";
}

}  // namespace hfb
