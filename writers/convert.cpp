// convert_checkpoint: load, build the graph, run the passes, then stream every kept tensor into its chunk file.
#include "writers/convert.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "readers/gemma4/text_graph_builder.h"
#include "readers/gemma4_config.h"
#include "readers/model_reader.h"
#include "writers/bundle_writer.h"

namespace hfb {
namespace {

/// Row blocks appended per call, so no tensor is ever copied whole (the mmapped pages are read in order).
constexpr uint64_t kConvertBlockBytes = 8ull << 20;

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string base_name(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string source_dir(const std::string& source) {
  // load_checkpoint accepts a directory or a file inside it; config.json sits in the directory.
  std::ifstream probe(source + "/" + kConfigFileName);
  if (probe) return source;
  const size_t slash = source.rfind('/');
  return slash == std::string::npos ? std::string(".") : source.substr(0, slash);
}

uint64_t config_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return 0;
  std::ostringstream text;
  text << in.rdbuf();
  const std::string bytes = text.str();
  return bundle_xxh3(ByteSpan{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

std::string chunk_spec_kind(ChunkKind kind) {
  switch (kind) {
    case ChunkKind::kEmbeddings: return "embedding";
    case ChunkKind::kDecoder: return "decoder";
    case ChunkKind::kHead: return "head";
    case ChunkKind::kAudioTower: return "audio";
    case ChunkKind::kVisionTower: return "vision";
  }
  return "decoder";
}

BundleFileKind file_kind_for(const std::string& file) {
  if (file == "embedding.bin") return BundleFileKind::kEmbedding;
  if (file == "ple.bin") return BundleFileKind::kPle;
  if (file == "head.bin") return BundleFileKind::kHead;
  return BundleFileKind::kChunk;
}

/// The chunks written: the plan's, or one decoder chunk holding everything when chunk-plan did not run.
std::vector<Chunk> chunks_to_write(const PassPipelineResult& pipeline, const Model& model) {
  if (pipeline.chunk_plan) return pipeline.chunk_plan->chunks;
  Chunk all;
  all.kind = ChunkKind::kDecoder;
  all.name = "decoder.0";
  all.layers = LayerRange{0, model.config.text.num_hidden_layers};
  for (const TensorInfo& t : model.tensors.tensors()) all.tensors.push_back(t.name);
  return {all};
}

BundleChunkSpec chunk_spec(const Chunk& chunk, int index, const ModelConfig& config) {
  BundleChunkSpec spec;
  spec.name = chunk.name;
  spec.kind = chunk_spec_kind(chunk.kind);
  spec.first_layer = chunk.layers.begin;
  spec.end_layer = chunk.layers.end;
  spec.file = convert_file_for(Role::kNorm, index);
  for (const BoundaryValue& v : chunk.inputs) spec.inputs.push_back(v.name());
  for (const BoundaryValue& v : chunk.outputs) spec.outputs.push_back(v.name());
  if (chunk.kind == ChunkKind::kDecoder) {
    for (int i = std::max(0, chunk.layers.begin); i < chunk.layers.end; ++i) {
      if (i < static_cast<int>(config.text.layers.size()) && config.text.layers[i].kv_shared_from < 0) {
        spec.state.push_back("kv." + std::to_string(i));
      }
    }
  }
  return spec;
}

struct Placement {
  const TensorInfo* tensor = nullptr;
  std::string chunk;
  std::string file;
};

/// Every tensor left in the table, in chunk order, with its chunk and file; tensors no chunk owns go last
/// into the first chunk's file with chunk "" (shared).
std::vector<Placement> place_tensors(const std::vector<Chunk>& chunks, const Model& model) {
  std::vector<Placement> out;
  std::map<std::string, bool> placed;
  for (size_t c = 0; c < chunks.size(); ++c) {
    for (const std::string& name : chunks[c].tensors) {
      const TensorInfo* t = model.tensors.find(name);
      if (t == nullptr || placed[name]) continue;
      placed[name] = true;
      out.push_back(Placement{t, chunks[c].name, convert_file_for(t->role, static_cast<int>(c))});
    }
  }
  for (const TensorInfo& t : model.tensors.tensors()) {
    if (placed[t.name]) continue;
    out.push_back(Placement{&t, "", convert_file_for(t.role, 0)});
  }
  return out;
}

Status write_one_tensor(BundleWriter& writer, const Model& model, const Placement& p) {
  const TensorInfo& t = *p.tensor;
  BundleTensorMeta meta;
  meta.name = t.name;
  meta.role = t.role;
  meta.tower = t.tower;
  meta.layer = t.layer;
  meta.chunk = p.chunk;
  meta.dtype = t.dtype;
  meta.shape = t.shape;
  HFB_TRY(TensorView view, model.tensors.view(t.name));
  HFB_TRY(writer.begin_tensor(meta));
  HFB_TRY(writer.begin_segment("data", p.file));
  for (uint64_t at = 0; at < view.bytes.size; at += kConvertBlockBytes) {
    const uint64_t n = std::min(kConvertBlockBytes, view.bytes.size - at);
    HFB_TRY(writer.append(ByteSpan{view.bytes.data + at, n}));
  }
  HFB_TRY(writer.end_segment());
  return writer.end_tensor();
}

void add_reports(BundleWriter& writer, const PassPipelineResult& pipeline) {
  for (const PassReport& report : pipeline.reports) writer.add_pass_record(report.pass, report.to_string());
  if (pipeline.chunk_plan) writer.add_pass_record("chunk-plan.plan", pipeline.chunk_plan->to_string());
}

Status write_bundle(const ConvertOptions& options, const Model& model, ConvertResult* result) {
  BundleWriterOptions wopts;
  wopts.force = options.force;
  wopts.zip = options.zip;
  wopts.zstd_level = options.zstd_level;
  wopts.producer = "hfbundle 0.1.0";
  HFB_TRY(std::unique_ptr<BundleWriter> writer, BundleWriter::create(options.out, wopts));
  const std::string dir = source_dir(options.source);
  writer->set_source(base_name(dir), config_hash(dir + "/" + kConfigFileName), model.tensors.size());
  writer->set_config(model.config);
  const std::vector<Chunk> chunks = chunks_to_write(result->pipeline, model);
  for (size_t c = 0; c < chunks.size(); ++c) {
    HFB_TRY(writer->add_chunk(chunk_spec(chunks[c], static_cast<int>(c), model.config)));
  }
  add_reports(*writer, result->pipeline);
  std::map<std::string, size_t> file_index;
  for (const Placement& p : place_tensors(chunks, model)) {
    if (file_index.count(p.file) == 0) {
      HFB_TRY(writer->add_file(p.file, file_kind_for(p.file)));
      file_index[p.file] = result->files.size();
      result->files.push_back(ConvertFileSummary{p.file, p.chunk, 0, 0});
    }
    HFB_TRY(write_one_tensor(*writer, model, p));
    ConvertFileSummary& f = result->files[file_index[p.file]];
    ++f.tensors;
    f.bytes += p.tensor->num_bytes;
    ++result->tensors_written;
    result->tensor_bytes += p.tensor->num_bytes;
  }
  for (const char* name : {kConfigFileName, kGenerationConfigFileName}) {
    const std::string path = dir + "/" + name;
    if (file_exists(path)) HFB_TRY(writer->copy_file(path, name));
  }
  HFB_TRY(result->out, writer->finish());
  result->written = true;
  return ok_status();
}

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

}  // namespace

std::string convert_file_for(Role role, int chunk_index) {
  if (role == Role::kTokenEmbedding) return "embedding.bin";
  if (role == Role::kPleTable) return "ple.bin";
  if (role == Role::kLmHead) return "head.bin";
  char name[32];
  std::snprintf(name, sizeof(name), "chunk_%02d.bin", chunk_index);
  return name;
}

std::string ConvertResult::to_string() const {
  std::string out = pipeline.to_string();
  if (pipeline.chunk_plan) out += "chunk plan:\n" + pipeline.chunk_plan->to_string();
  if (!written) return out + "dry run: nothing written\n";
  out += "wrote " + this->out + ": " + std::to_string(tensors_written) + " tensors, " +
         std::to_string(tensor_bytes) + " tensor bytes\n";
  for (const ConvertFileSummary& f : files) {
    out += "  " + f.name + (f.chunk.empty() ? "" : " (" + f.chunk + ")") + ": " + std::to_string(f.tensors) +
           " tensors, " + std::to_string(f.bytes) + " bytes\n";
  }
  return out;
}

std::string ConvertResult::to_json() const {
  std::string out = "{\"written\":" + std::string(written ? "true" : "false");
  out += ",\"out\":" + quoted(this->out);
  out += ",\"bytes_saved\":" + std::to_string(pipeline.bytes_saved);
  out += ",\"projected_bytes\":" + std::to_string(pipeline.projected_bytes);
  out += ",\"passes\":[";
  for (size_t i = 0; i < pipeline.reports.size(); ++i) {
    const PassReport& r = pipeline.reports[i];
    out += std::string(i ? "," : "") + "{\"pass\":" + quoted(r.pass) + ",\"changes\":" +
           std::to_string(r.changes.size()) + ",\"bytes_saved\":" + std::to_string(r.bytes_saved()) +
           ",\"report\":" + quoted(r.to_string()) + "}";
  }
  out += "],\"chunks\":[";
  if (pipeline.chunk_plan) {
    const auto& chunks = pipeline.chunk_plan->chunks;
    for (size_t i = 0; i < chunks.size(); ++i) {
      out += std::string(i ? "," : "") + "{\"name\":" + quoted(chunks[i].name) + ",\"kind\":" +
             quoted(std::string(chunk_kind_name(chunks[i].kind))) + ",\"first_layer\":" +
             std::to_string(chunks[i].layers.begin) + ",\"end_layer\":" + std::to_string(chunks[i].layers.end) +
             ",\"bytes\":" + std::to_string(chunks[i].bytes) + "}";
    }
  }
  out += "],\"tensors_written\":" + std::to_string(tensors_written);
  out += ",\"tensor_bytes\":" + std::to_string(tensor_bytes) + ",\"files\":[";
  for (size_t i = 0; i < files.size(); ++i) {
    out += std::string(i ? "," : "") + "{\"name\":" + quoted(files[i].name) + ",\"chunk\":" + quoted(files[i].chunk) +
           ",\"tensors\":" + std::to_string(files[i].tensors) + ",\"bytes\":" + std::to_string(files[i].bytes) + "}";
  }
  return out + "]}\n";
}

Result<ConvertResult> convert_checkpoint(const ConvertOptions& options) {
  if (options.quant != "none") {
    return Error(ErrorCode::kUnsupported, "--quant " + options.quant + ": only 'none' is supported by convert yet");
  }
  if (!options.dry_run && options.out.empty()) return Error(ErrorCode::kInvalidArgument, "convert needs -o OUT");
  if (!options.dry_run && !options.force && file_exists(options.out)) {
    return Error(ErrorCode::kInvalidArgument, "output exists (use --force to replace it)").with_path(options.out);
  }
  HFB_TRY(Model model, load_checkpoint(options.source));
  HFB_TRY(Graph graph, build_gemma4_text_graph(model.config, model.tensors));
  ConvertResult result;
  HFB_TRY(result.pipeline, run_pass_pipeline(model, &graph, options.passes));
  result.out = options.out;
  if (options.dry_run) return result;
  HFB_TRY(write_bundle(options, model, &result));
  return result;
}

}  // namespace hfb
