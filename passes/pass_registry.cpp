// The pass registry: an explicit list (static-library self-registration would be dropped by the
// linker), default selection and flag resolution.
#include "passes/pass_registry.h"

#include <algorithm>

#include "passes/chunk_plan_pass.h"
#include "passes/clip_linear_scoping.h"
#include "passes/conv_norm_swap.h"
#include "passes/embed_proj_fusion.h"
#include "passes/kv_shared_tail_strip.h"

namespace hfb {
namespace {

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

Status check_known(const std::string& name, const char* flag) {
  if (find_pass(name) != nullptr) return ok_status();
  std::string known;
  for (const Pass* pass : registered_passes()) known += (known.empty() ? "" : ", ") + std::string(pass->name());
  return Error(ErrorCode::kInvalidArgument,
               std::string(flag) + " " + name + ": unknown pass (known: " + known + ")");
}

}  // namespace

const std::vector<const Pass*>& registered_passes() {
  static const KvSharedTailStripPass kv_shared_tail_strip;
  static const ClipLinearScopingPass clip_linear_scoping;
  static const ConvNormSwapPass conv_norm_swap;
  static const EmbedProjFusionPass embed_proj_fusion;
  static const ChunkPlanPass chunk_plan;
  static const std::vector<const Pass*> passes{&conv_norm_swap, &kv_shared_tail_strip,
                                               &clip_linear_scoping, &embed_proj_fusion,
                                               &chunk_plan};
  return passes;
}

const Pass* find_pass(std::string_view name) {
  for (const Pass* pass : registered_passes()) {
    if (pass->name() == name) return pass;
  }
  return nullptr;
}

std::vector<std::string> default_pass_names() {
  std::vector<std::string> names;
  for (const Pass* pass : registered_passes()) {
    if (pass->enabled_by_default()) names.emplace_back(pass->name());
  }
  return names;
}

Result<std::vector<const Pass*>> resolve_passes(const std::vector<std::string>& enable,
                                                const std::vector<std::string>& disable) {
  for (const std::string& name : enable) {
    HFB_TRY(check_known(name, "--pass"));
    if (contains(disable, name)) {
      return Error(ErrorCode::kInvalidArgument,
                   "pass " + name + " is both enabled (--pass) and disabled (--no-pass)");
    }
  }
  for (const std::string& name : disable) HFB_TRY(check_known(name, "--no-pass"));
  std::vector<const Pass*> selected;
  for (const Pass* pass : registered_passes()) {
    const std::string name(pass->name());
    const bool on = (pass->enabled_by_default() || contains(enable, name)) && !contains(disable, name);
    if (on) selected.push_back(pass);
  }
  return selected;
}

Result<std::vector<PassReport>> run_passes(PassContext& context,
                                           const std::vector<const Pass*>& passes) {
  if (context.model == nullptr) return Error(ErrorCode::kInternal, "run_passes: no model");
  std::vector<PassReport> reports;
  for (const Pass* pass : passes) {
    auto report = pass->run(context);
    if (!report.ok()) {
      return std::move(report).error().with_context("while running pass " +
                                                    std::string(pass->name()));
    }
    reports.push_back(std::move(report).value());
  }
  return reports;
}

}  // namespace hfb
