// `convert --format gguf` / `export`: policy options, one library call, the report.
#include "cli/gguf_options.h"

#include <unistd.h>

#include <cstdio>

#include "cli/command.h"
#include "cli/interrupt_handlers.h"
#include "cli/side_output.h"
#include "validators/report.h"

namespace hfb::cli {
namespace {

Status fill_policy(const QuantCliOptions& q, GgufPolicyOptions* policy) {
  policy->quant = q.quant.empty() ? "none" : q.quant;
  for (const std::string& item : q.tensor_types) {
    HFB_TRY(auto parsed, parse_tensor_type(item));
    policy->tensor_types.push_back(std::move(parsed));
  }
  for (const std::string& item : q.role_types) {
    HFB_TRY(auto parsed, parse_role_type(item));
    policy->role_types.push_back(parsed);
  }
  if (q.per_tensor || q.block_size != 0 || q.group_size != 32) {
    return Error(ErrorCode::kInvalidArgument,
                 "--per-tensor / --block-size / --group-size shape hfbundle's own schemes; GGUF q4_0/q8_0 blocks are "
                 "fixed at 32 (leave them out with --format gguf)");
  }
  return ok_status();
}

}  // namespace

int run_gguf_export(GgufCliOptions options, bool from_bundle) {
  Status policy = fill_policy(options.quant, &options.exporter.policy);
  if (!policy.ok()) return report_error(policy.error());
  options.exporter.allow_nonfinite = options.quant.allow_nonfinite;
  Status side = check_side_output(options.quant.coverage, "--coverage");
  if (!side.ok()) return report_error(side.error());
  options.exporter.command_line = invocation();
  Result<GgufExportResult> result = Error(ErrorCode::kInternal, "export did not run");
  {
    InterruptHandlers handlers;  // Ctrl-C / SIGTERM: the writers unwind and remove their temporary files
    result = from_bundle ? export_bundle_to_gguf(options.exporter) : convert_checkpoint_to_gguf(options.exporter);
  }
  if (const int code = exit_for_interrupt(from_bundle ? "export" : "convert", "the temporary output was removed")) {
    return code;
  }
  if (!result.ok()) return report_error(result.error());
  for (const std::string& w : result->warnings) std::fprintf(stderr, "hfbundle: warning: %s\n", w.c_str());
  if (!options.quant.coverage.empty()) {
    Status written = write_text_file_atomic(options.quant.coverage, result->to_json());
    if (!written.ok()) return report_error(written.error());
  }
  if (options.json) {
    std::fputs(result->to_json().c_str(), stdout);
  } else if (options.verbose) {
    std::fputs(result->to_string().c_str(), stdout);
  } else if (!options.quiet) {
    std::fputs(result->to_summary(options.quant.coverage.empty() ? "--verbose or --coverage FILE"
                                                                 : options.quant.coverage).c_str(),
               stdout);
  }
  return kExitOk;
}

}  // namespace hfb::cli
