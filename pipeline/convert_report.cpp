// The convert report: readable text and JSON of passes, chunk plan, coverage and the written/projected files.
#include <cstdio>

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

}  // namespace

std::string ConvertResult::to_string() const {
  std::string out = pipeline.to_string();
  if (pipeline.chunk_plan) out += "chunk plan:\n" + pipeline.chunk_plan->to_string();
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
