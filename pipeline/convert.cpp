// convert_checkpoint: load, build the graph, run the passes, then quantize and stream every tensor into its chunk file.
#include "pipeline/convert.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "formats/bundle_format.h"
#include "core/limits.h"
#include "writers/bundle_archive.h"
#include "writers/bundle_fs.h"
#include "core/interrupt.h"
#include "core/version.h"
#include "models/load_checkpoint.h"
#include "models/model_family.h"
#include "pipeline/chunk_plan_json.h"
#include "pipeline/convert_graph.h"
#include "pipeline/convert_parts.h"
#include "pipeline/convert_stream.h"
#include "writers/bundle_writer.h"
#include "writers/convert_direct_sink.h"
#include "writers/convert_provenance.h"

namespace hfb {
namespace {

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string base_name(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
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
  spec.kind = chunk_kind_name(chunk.kind);
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

void add_reports(BundleWriter& writer, const PassPipelineResult& pipeline) {
  for (const PassReport& report : pipeline.reports) writer.add_pass_record(report.pass, report.to_string());
  if (pipeline.chunk_plan) writer.add_pass_record("chunk-plan.plan", pipeline.chunk_plan->to_string());
}

/// Source bytes of everything streamed (the progress total).
uint64_t total_source_bytes(const std::vector<Placement>& placements) {
  uint64_t total = 0;
  for (const Placement& p : placements) total += p.tensor->num_bytes;
  return total;
}

/// Tensors removed by passes: in the coverage with bytes_after 0, so every checkpoint tensor appears.
void add_removed_tensors(const PassPipelineResult& pipeline, CoverageReport* coverage) {
  for (const PassReport& report : pipeline.reports) {
    for (const PassChange& change : report.changes) {
      if (change.kind != PassChange::Kind::kTensorRemoved) continue;
      CoverageEntry entry;
      entry.name = change.name;
      entry.role = change.role;
      entry.tower = change.tower;
      entry.reason = "removed by pass " + report.pass + (change.reason.empty() ? "" : ": " + change.reason);
      entry.bytes_before = change.bytes;
      coverage->add(std::move(entry));
    }
  }
}

/// Decides and streams every placed tensor (into `writer`, or nowhere for a dry run), filling the result.
Status stream_all(const ConvertOptions& options, const QuantPolicy& policy, const std::vector<Placement>& placements,
                  const ImportanceMatrix* imatrix, BundleWriter* writer, ConvertResult* result) {
  std::map<std::string, size_t> file_index;
  ConvertProgress progress;
  progress.tensor_count = placements.size();
  progress.bytes_total = total_source_bytes(placements);
  for (const Placement& p : placements) {
    HFB_TRY(check_interrupted());  // SIGINT / SIGTERM: unwind; the writer's destructor removes the temp directory
    const TensorInfo& t = *p.tensor;
    if (file_index.count(p.file) == 0) {
      if (writer) HFB_TRY(writer->add_file(p.file, file_kind_for(p.file)));
      file_index[p.file] = result->files.size();
      result->files.push_back(ConvertFileSummary{p.file, p.chunk, 0, 0});
    }
    auto decision = policy.decide(t, p.chunk);
    if (!decision.ok()) return std::move(decision).error().with_tensor(t.name);
    progress.tensor = t.name;
    progress.file = p.file;
    progress.scheme = std::string(scheme_name(decision->scheme));
    const uint64_t done_before = progress.bytes_done;
    const std::vector<float> column_weights = calibration_weights(imatrix, t, &*decision);
    TensorTarget target{writer, p.file, p.chunk, nullptr, column_weights.empty() ? nullptr : &column_weights};
    if (options.progress) {
      target.on_bytes = [&](uint64_t bytes) {
        progress.bytes_done = done_before + bytes;
        options.progress(progress);
      };
      options.progress(progress);
    }
    HFB_TRY(StreamedTensor streamed, stream_tensor(t, *decision, target));
    progress.bytes_done = done_before + t.num_bytes;
    ++progress.tensor_index;
    if (writer) writer->add_coverage(bundle_coverage_entry(streamed.coverage));
    ConvertFileSummary& f = result->files[file_index[p.file]];
    ++f.tensors;
    f.bytes += streamed.coverage.bytes_after;
    ++result->tensors_written;
    result->tensor_bytes += streamed.coverage.bytes_after;
    result->source_bytes += t.num_bytes;
    result->output_bytes += streamed.stored_bytes;
    result->coverage.add(std::move(streamed.coverage));
  }
  return ok_status();
}

Status write_bundle(const ConvertOptions& options, const QuantPolicy& policy, const Model& model, const Graph& graph,
                    const ImportanceMatrix* imatrix, ConvertResult* result) {
  const std::vector<Chunk> chunks = chunks_to_write(result->pipeline, model);
  const std::vector<Placement> placements = place_tensors(chunks, model);
  if (options.dry_run) return stream_all(options, policy, placements, imatrix, nullptr, result);
  BundleWriterOptions wopts;
  wopts.force = options.force;
  wopts.zip = options.zip;
  wopts.zstd_level = options.zstd_level;
  wopts.producer = std::string("hfbundle ") + kHfbundleVersion;
  // Gigabytes of output: O_DIRECT skips the kernel's copy into fresh page-cache pages (the largest CPU cost
  // of a convert once quantization is fused) and leaves the cache to the checkpoint. A zip is assembled
  // from the written files, so those stay in the page cache.
  if (!options.zip) wopts.sink_factory = open_direct_file_sink;
  HFB_TRY(std::unique_ptr<BundleWriter> writer, BundleWriter::create(options.out, wopts));
  result->removed_temp_dirs = writer->removed_stale_temp_dirs();
  const std::string dir = checkpoint_dir(model.source);  // a hub-cache repo folder resolved to its snapshot
  const std::string source_name =
      model.source_repo.empty() ? base_name(dir) : model.source_repo + "@" + model.source_revision;
  writer->set_source(source_name, checkpoint_config_hash(dir + "/" + kConfigFileName), model.tensors.size());
  writer->set_config(model.config);
  writer->manifest().set_recipe_json(recipe_to_json(convert_recipe(options)));
  for (size_t c = 0; c < chunks.size(); ++c) {
    HFB_TRY(writer->add_chunk(chunk_spec(chunks[c], static_cast<int>(c), model.config)));
  }
  const ChunkPlan* plan = result->pipeline.chunk_plan ? &*result->pipeline.chunk_plan : nullptr;
  HFB_TRY(store_manifest_graphs(graph, plan, &writer->manifest()));  // text graph + chunk nodes (issue 8)
  add_reports(*writer, result->pipeline);
  HFB_TRY(stream_all(options, policy, placements, imatrix, writer.get(), result));
  CoverageReport removed;
  add_removed_tensors(result->pipeline, &removed);
  for (const CoverageEntry& e : removed.entries) writer->add_coverage(bundle_coverage_entry(e));
  for (const char* name : {kConfigFileName, kGenerationConfigFileName}) {
    const std::string path = dir + "/" + name;
    if (file_exists(path)) HFB_TRY(writer->copy_file(path, name));
  }
  for (const char* name : kBundleTokenizerFiles) {  // format 1.3: the bundle carries the tokenizer
    const std::string path = dir + "/" + name;
    if (file_exists(path)) HFB_TRY(writer->copy_file(path, name, BundleFileKind::kTokenizer));
  }
  for (const std::string& name : carried_files(dir)) HFB_TRY(writer->copy_file(dir + "/" + name, name));
  HFB_TRY(record_provenance(model, dir, options.command_line, writer.get()));
  HFB_TRY(result->out, writer->finish());
  result->written = true;
  return ok_status();
}

std::vector<std::string> chunk_names(const std::vector<Chunk>& chunks) {
  std::vector<std::string> names;
  for (const Chunk& c : chunks) names.push_back(c.name);
  return names;
}

}  // namespace

Recipe convert_recipe(const ConvertOptions& options) {
  Recipe recipe;
  recipe.quant = options.quant;
  recipe.passes = options.passes;
  recipe.notes_json = options.recipe_notes_json;
  return recipe;
}

void apply_recipe(const Recipe& recipe, ConvertOptions* options) {
  options->quant = recipe.quant;
  options->passes = recipe.passes;
  options->recipe_notes_json = recipe.notes_json;
}

std::string convert_file_for(Role role, int chunk_index) {
  if (role == Role::kTokenEmbedding) return "embedding.bin";
  if (role == Role::kPleTable) return "ple.bin";
  if (role == Role::kLmHead) return "head.bin";
  char name[32];
  std::snprintf(name, sizeof(name), "chunk_%02d.bin", chunk_index);
  return name;
}

Result<ConvertResult> convert_checkpoint(const ConvertOptions& options) {
  HFB_TRY(QuantPolicy policy, QuantPolicy::create(options.quant));
  if (!options.dry_run && options.out.empty()) return Error(ErrorCode::kInvalidArgument, "convert needs -o OUT");
  if (!options.dry_run && !options.force && file_exists(options.out)) {
    return Error(ErrorCode::kInvalidArgument, "output exists (use --force to replace it)").with_path(options.out);
  }
  if (!options.dry_run && options.force) {
    HFB_TRY(check_force_target(options.out, options.source, options.zip));
    if (options.zip && file_exists(options.out) && !is_zip_bundle(options.out)) {
      return Error(ErrorCode::kInvalidArgument, "--force refuses to replace it: not a zip bundle (no manifest.pb entry)")
          .with_path(options.out);
    }
  }
  HFB_TRY(Model model, load_model_source(options.source, options.model_source));
  // Statistics of the checkpoint as read (tensor names before the passes rename or fuse anything).
  HFB_TRY(std::optional<ImportanceMatrix> imatrix, prepare_imatrix(model, options.calibration));
  HFB_TRY(Graph graph, build_model_graph(model.config, model.tensors));  // towers at placeholder sizes
  ConvertResult result;
  HFB_TRY(result.pipeline, run_pass_pipeline(model, &graph, options.passes));
  HFB_TRY(check_chunk_types(options.quant, chunk_names(chunks_to_write(result.pipeline, model))));
  result.out = options.out;
  HFB_TRY(write_bundle(options, policy, model, graph, imatrix ? &*imatrix : nullptr, &result));  // dry run: quantized and measured, not written
  add_removed_tensors(result.pipeline, &result.coverage);
  return result;
}

}  // namespace hfb
