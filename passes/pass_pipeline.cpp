// run_pass_pipeline: option resolution, the pass run and its summary.
#include "passes/pass_pipeline.h"

#include "passes/pass_registry.h"

namespace hfb {

std::string PassPipelineResult::to_string() const {
  std::string out;
  for (const PassReport& report : reports) out += report.to_string();
  out += "bytes saved by passes: " + std::to_string(bytes_saved) + "\n";
  out += "projected output size (unquantized): " + std::to_string(projected_bytes) + " bytes\n";
  return out;
}

Result<PassPipelineResult> run_pass_pipeline(Model& model, Graph* graph, const PassOptions& options) {
  HFB_TRY(std::vector<const Pass*> passes, resolve_passes(options.enable, options.disable));
  HFB_TRY(ChunkRequest request, ChunkRequest::parse(options.chunks));
  PassContext context;
  context.model = &model;
  context.graph = graph;
  context.chunk_request = request;
  PassPipelineResult result;
  HFB_TRY(result.reports, run_passes(context, passes));
  result.chunk_plan = std::move(context.chunk_plan);
  for (const PassReport& report : result.reports) result.bytes_saved += report.bytes_saved();
  for (const TensorInfo& t : model.tensors.tensors()) {
    if (t.used) result.projected_bytes += t.num_bytes;
  }
  return result;
}

}  // namespace hfb
