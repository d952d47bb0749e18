// `hfbundle inspect PATH [--json] [--graph]`: a checkpoint's roles, layers, bytes, unused tensors, or its op graph;
// `hfbundle inspect BUNDLE [--json] [--graph] [--check] [--recipe] [--tensor NAME [--raw-out FILE] [--dequant-out FILE]]`: a
// bundle's manifest, stored text graph, checksums, and one tensor's stored bytes or float32 values.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "models/load_checkpoint.h"
#include "models/model_family.h"
#include "passes/chunk_plan.h"
#include "passes/pass_pipeline.h"
#include "formats/bundle.pb.h"
#include "pipeline/model_source.h"
#include "pipeline/bundle_inspect.h"
#include "pipeline/bundle_session.h"
#include "pipeline/chunk_plan_json.h"
#include "pipeline/model_summary.h"
#include "readers/bundle/bundle_graph.h"
#include "readers/bundle/bundle_reader.h"
#include "readers/tokenizer/tokenizer_summary.h"

namespace hfb::cli {
namespace {

struct InspectOptions {
  std::string path;
  std::string config_path;  ///< checkpoint: instead of PATH/config.json; GGUF: the fields GGUF has no keys for
  std::string mmproj_path;  ///< GGUF: its mmproj
  bool json = false;
  bool graph = false;
  int64_t audio_frames = -1;   ///< --graph: -1 = a small default when the model has an audio tower
  int64_t image_patches = -1;  ///< --graph: -1 = pooling_kernel^2 (one soft token) when it has a vision tower
  bool check = false;
  bool recipe = false;  ///< --recipe: print the bundle's stored recipe JSON only
  std::string tensor;
  std::string raw_out;
  std::string dequant_out;
  std::string chunks = "auto";  ///< the chunk plan shown: as `convert --chunks`
};

constexpr int64_t kDefaultGraphAudioFrames = 16;

void print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

// The tokenizer the checkpoint or bundle carries, as text lines or a JSON value (null when there is none; an
// unreadable one is shown with its error rather than failing the whole inspect).
std::string tokenizer_section(const std::string& path, bool json) {
  auto t = tokenizer::load_text_tokenizer(path);
  if (t.ok()) return json ? tokenizer::tokenizer_summary_json(*t) : tokenizer::tokenizer_summary_text(*t);
  if (t.error().code == ErrorCode::kNotFound) return json ? "null" : "tokenizer: none\n";
  if (json) return nlohmann::json{{"error", t.error().to_string()}}.dump();
  return "tokenizer: unreadable: " + t.error().to_string() + "\n";
}

int inspect_graph(const Model& model, const InspectOptions& options) {
  MediaDims dims;
  if (model.config.audio) {
    dims.audio_frames = options.audio_frames >= 0 ? options.audio_frames : kDefaultGraphAudioFrames;
  }
  if (model.config.vision) {
    const int64_t k2 = int64_t{model.config.vision->pooling_kernel_size} * model.config.vision->pooling_kernel_size;
    dims.image_patches = options.image_patches >= 0 ? options.image_patches : k2;
    dims.image_soft_tokens = k2 > 0 ? dims.image_patches / k2 : 0;
  }
  Result<Graph> graph = build_graph(model.config, model.tensors, dims);
  if (!graph.ok()) return report_error(graph.error());
  if (model.config.audio || model.config.vision) {
    print("# media sizes: audio_frames=" + std::to_string(dims.audio_frames) + " image_patches=" +
          std::to_string(dims.image_patches) + " image_soft_tokens=" + std::to_string(dims.image_soft_tokens) +
          " (set with --audio-frames / --image-patches; 0 leaves a tower out)\n");
  }
  print(graph->to_text());
  return kExitOk;
}

// The chunk plan `convert` would write with the default passes and `--chunks`, run on a copy of the model.
Result<ChunkPlan> default_chunk_plan(const Model& loaded, const std::string& chunks) {
  Model model = loaded;
  HFB_TRY(Graph graph, build_text_graph(model.config, model.tensors));
  PassOptions passes;
  passes.chunks = chunks;
  HFB_TRY(PassPipelineResult result, run_pass_pipeline(model, &graph, passes));
  if (!result.chunk_plan) return Error(ErrorCode::kInternal, "the default passes made no chunk plan");
  return *result.chunk_plan;
}

int inspect_checkpoint(const InspectOptions& options) {
  if (options.check || !options.tensor.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument, "--check and --tensor work on bundles only")
                            .with_path(options.path));
  }
  CheckpointLoadOptions load;
  load.config_path = options.config_path;
  Result<Model> model = is_gguf_path(options.path)
                            ? load_model_source(options.path, ModelSourceOptions{options.mmproj_path, options.config_path})
                            : load_checkpoint(options.path, load);
  if (!model.ok()) return report_error(model.error());
  const std::string format = is_gguf_path(options.path) ? kFormatGguf : kFormatHfSafetensors;
  if (options.graph) return inspect_graph(*model, options);
  Result<ChunkPlan> plan = default_chunk_plan(*model, options.chunks);
  if (!plan.ok()) return report_error(plan.error());
  if (options.json) {
    nlohmann::json out = nlohmann::json::parse(model_summary_json(*model, format));
    out["chunk_plan"] = nlohmann::json::parse(chunk_plan_to_json(*plan, false));
    out["tokenizer"] = nlohmann::json::parse(tokenizer_section(options.path, true));
    print(out.dump() + "\n");
  } else {
    print(model_summary_text(*model, format) + "\nchunk plan (default passes, --chunks " + options.chunks + "):\n" +
          plan->to_string() + "\n" + tokenizer_section(options.path, false));
  }
  return kExitOk;
}

int inspect_tensor(const Bundle& bundle, const InspectOptions& options) {
  Result<const BundleTensor*> tensor = find_bundle_tensor(bundle, options.tensor);
  if (!tensor.ok()) return report_error(tensor.error());
  if (!options.raw_out.empty()) {
    Status written = write_bundle_tensor_raw(**tensor, options.raw_out);
    if (!written.ok()) return report_error(written.error());
  }
  if (!options.dequant_out.empty()) {
    Status written = write_bundle_tensor_f32(**tensor, options.dequant_out);
    if (!written.ok()) return report_error(written.error());
  }
  if (options.raw_out.empty() && options.dequant_out.empty()) {
    print(bundle_tensor_summary(**tensor, options.json));
  }
  return kExitOk;
}

int inspect_bundle(const InspectOptions& options) {
  if (!options.config_path.empty() || options.audio_frames >= 0 || options.image_patches >= 0) {
    return report_error(Error(ErrorCode::kUnsupported,
                              "--config, --audio-frames and --image-patches work on checkpoints only")
                            .with_path(options.path));
  }
  Result<std::shared_ptr<const Bundle>> bundle = Bundle::open(options.path);
  if (!bundle.ok()) return report_error(bundle.error());
  if (options.graph) {
    // The stored text-decoder graph; tower subgraphs are rebuilt per prompt's media sizes, never stored.
    Result<Graph> graph = bundle_text_graph(**bundle);
    if (!graph.ok()) return report_error(graph.error());
    print(graph->to_text());
    return kExitOk;
  }
  if (options.check) {
    BundleReadOptions read;
    read.check = BundleCheck::kChecksums;
    Result<std::shared_ptr<const Bundle>> checked = Bundle::open(options.path, read);
    if (!checked.ok()) return report_error(checked.error());  // checksum mismatch: 1; malformed: 2
    std::fprintf(stderr, "hfbundle: checksums ok (every file and the segments of %zu tensors)\n",
                 (*checked)->tensors().size());
  }
  if (!options.tensor.empty()) return inspect_tensor(**bundle, options);
  if (options.recipe) {
    const std::string& recipe = (*bundle)->manifest().recipe_json();
    if (recipe.empty()) {
      return report_error(Error(ErrorCode::kNotFound, "the bundle stores no recipe (written before format 1.4)")
                              .with_path(options.path));
    }
    print(recipe);
    return kExitOk;
  }
  if (options.json) {
    nlohmann::json out = nlohmann::json::parse(bundle_summary_json(**bundle));
    out["tokenizer"] = nlohmann::json::parse(tokenizer_section(options.path, true));
    print(out.dump() + "\n");
  } else {
    print(bundle_summary_text(**bundle) + "\n" + tokenizer_section(options.path, false));
  }
  return kExitOk;
}

int run_inspect(const InspectOptions& options) {
  if ((!options.raw_out.empty() || !options.dequant_out.empty()) && options.tensor.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument, "--raw-out and --dequant-out need --tensor NAME"));
  }
  if (options.recipe && !is_bundle_path(options.path)) {
    return report_error(Error(ErrorCode::kInvalidArgument, "--recipe works on bundles only").with_path(options.path));
  }
  return is_bundle_path(options.path) ? inspect_bundle(options) : inspect_checkpoint(options);
}

void setup_inspect(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show a checkpoint or bundle: architecture, tensors, roles, chunks");
  cmd->add_option("path", options->path,
                  "Checkpoint directory, a bundle (directory with manifest.pb, or zip), or a GGUF (+ --mmproj)")
      ->required();
  cmd->add_option("--mmproj", options->mmproj_path, "GGUF: its multimodal projector (mmproj) GGUF");
  cmd->add_flag("--json", options->json, "Print one JSON object instead of the report");
  cmd->add_option("--config", options->config_path,
                  "Config file to use instead of PATH/config.json (a GGUF: for the fields it has no keys for)");
  cmd->add_flag("--graph", options->graph, "Print the op graph (inputs, weights, one node a line; a bundle: its stored text graph)");
  cmd->add_option("--audio-frames", options->audio_frames, "With --graph: input frames of the audio tower")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--image-patches", options->image_patches,
                  "With --graph: patches of the vision tower (a multiple of pooling_kernel^2)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--chunks", options->chunks, "Checkpoint: the chunk plan shown, as convert --chunks (default auto)");
  cmd->add_flag("--check", options->check, "Bundle: verify every file and segment checksum (exit 1 on mismatch)");
  cmd->add_flag("--recipe", options->recipe,
                "Bundle: print the recipe it was made with (JSON, docs/recipes.md), as `convert --recipe` reads it");
  cmd->add_option("--tensor", options->tensor, "Bundle: one tensor, by its checkpoint name");
  cmd->add_option("--raw-out", options->raw_out, "With --tensor: write its stored bytes (segments in stored order)");
  cmd->add_option("--dequant-out", options->dequant_out,
                  "With --tensor: write its float32 values, little-endian, row-major");
  cmd->callback([run, options] { *run = [options] { return run_inspect(*options); }; });
}

}  // namespace
}  // namespace hfb::cli

HFB_REGISTER_COMMAND(inspect, hfb::cli::setup_inspect);
