// chunk-plan pass: a thin wrapper over plan_chunks.
#include "passes/chunk_plan_pass.h"

#include <sstream>

namespace hfb {

Result<PassReport> ChunkPlanPass::run(PassContext& context) const {
  HFB_TRY(ChunkPlan plan,
          plan_chunks(context.model->config, context.model->tensors, context.chunk_request));
  PassReport report;
  report.pass = std::string(name());
  std::istringstream lines(plan.to_string());
  for (std::string line; std::getline(lines, line);) report.notes.push_back(line);
  context.chunk_plan = std::move(plan);
  return report;
}

}  // namespace hfb
