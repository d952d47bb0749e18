// The convert report: readable text and JSON of passes, chunk plan, coverage and the written/projected files.
#include <cmath>
#include <cstdio>

#include "pipeline/convert.h"

namespace hfb {
namespace {

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string quoted(const std::string& s) { return "\"" + json_escape(s) + "\""; }

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

std::string files_json(const std::vector<ConvertFileSummary>& files) {
  std::string out = "[";
  for (size_t i = 0; i < files.size(); ++i) {
    out += std::string(i ? "," : "") + "{\"name\":" + quoted(files[i].name) + ",\"chunk\":" + quoted(files[i].chunk) +
           ",\"tensors\":" + std::to_string(files[i].tensors) + ",\"bytes\":" + std::to_string(files[i].bytes) + "}";
  }
  return out + "]";
}

std::string chunks_json(const PassPipelineResult& pipeline) {
  std::string out = "[";
  if (pipeline.chunk_plan) {
    const auto& chunks = pipeline.chunk_plan->chunks;
    for (size_t i = 0; i < chunks.size(); ++i) {
      out += std::string(i ? "," : "") + "{\"name\":" + quoted(chunks[i].name) + ",\"kind\":" +
             quoted(std::string(chunk_kind_name(chunks[i].kind))) + ",\"first_layer\":" +
             std::to_string(chunks[i].layers.begin) + ",\"end_layer\":" + std::to_string(chunks[i].layers.end) +
             ",\"bytes\":" + std::to_string(chunks[i].bytes) + "}";
    }
  }
  return out + "]";
}

std::string passes_json(const PassPipelineResult& pipeline) {
  std::string out = "[";
  for (size_t i = 0; i < pipeline.reports.size(); ++i) {
    const PassReport& r = pipeline.reports[i];
    out += std::string(i ? "," : "") + "{\"pass\":" + quoted(r.pass) + ",\"changes\":" +
           std::to_string(r.changes.size()) + ",\"bytes_saved\":" + std::to_string(r.bytes_saved()) +
           ",\"report\":" + quoted(r.to_string()) + "}";
  }
  return out + "]";
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

std::string ConvertResult::to_json(const std::string& coverage_json) const {
  std::string out = "{\"written\":" + std::string(written ? "true" : "false");
  out += ",\"out\":" + quoted(this->out);
  out += ",\"bytes_saved\":" + std::to_string(pipeline.bytes_saved);
  out += ",\"projected_bytes\":" + std::to_string(pipeline.projected_bytes);
  out += ",\"passes\":" + passes_json(pipeline);
  out += ",\"chunks\":" + chunks_json(pipeline);
  out += ",\"tensors_written\":" + std::to_string(tensors_written);
  out += ",\"tensor_bytes\":" + std::to_string(tensor_bytes);
  out += ",\"source_bytes\":" + std::to_string(source_bytes);
  out += ",\"output_bytes\":" + std::to_string(output_bytes);
  out += ",\"files\":" + files_json(files);
  out += ",\"coverage\":" + (coverage_json.empty() ? std::string("null") : coverage_json);
  return out + "}\n";
}

}  // namespace hfb
