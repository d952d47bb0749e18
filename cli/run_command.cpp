// `hfbundle run MODEL|BUNDLE --prompt-ids 2,17,5 [-n 16] [--json] [--quant SCHEME ...]`: greedy continuation
// with the reference runtime (a checkpoint quantized in memory first with --quant).
#include <cstdio>
#include <string>

#include "cli/command.h"
#include "cli/quant_options.h"
#include "cli/side_output.h"
#include "validators/parity_greedy.h"
#include "validators/bundle_session.h"
#include "validators/parity_session.h"
#include "validators/quantized_weight_store.h"
#include "validators/coverage_json.h"
#include "validators/report.h"

namespace hfb::cli {
namespace {

struct RunOptions {
  std::string model;
  std::string prompt_ids;
  int max_new_tokens = 16;
  bool json = false;
  bool no_check = false;
  QuantCliOptions quant;
};

int run_run(const RunOptions& options) {
  auto ids = parse_token_ids(options.prompt_ids);
  if (!ids.ok()) return report_error(ids.error());
  auto policy = make_quant_policy(options.quant);
  if (!policy.ok()) return report_error(policy.error());
  Status side = check_side_output(options.quant.coverage, "--coverage");
  if (!side.ok()) return report_error(side.error());
  if (*policy && is_bundle_path(options.model)) {
    return report_error(Error(ErrorCode::kInvalidArgument, "--quant quantizes a checkpoint in memory; '" +
                                                               options.model + "' is a bundle (use convert --quant)"));
  }
  CoverageReport coverage;
  auto model = *policy ? open_quantized_model_session(options.model, **policy, &coverage)
                       : open_model_session(options.model, !options.no_check);
  if (!model.ok()) return report_error(model.error());
  if (*policy) {
    // With --json stdout is the JSON document: the coverage summary then goes only to --coverage.
    Status emitted = options.json ? (options.quant.coverage.empty()
                                         ? ok_status()
                                         : write_text_file_atomic(options.quant.coverage, coverage_to_json(coverage)))
                                  : emit_coverage(options.quant, coverage);
    if (!emitted.ok()) return report_error(emitted.error());
  }
  GreedyOptions greedy;
  greedy.max_new_tokens = options.max_new_tokens;
  greedy.eos_ids = model->eos_ids;
  auto run = run_greedy(*model->session, *ids, nullptr, nullptr, greedy);
  if (!run.ok()) return report_error(run.error());
  Status intact = model->check_inputs();  // a file truncated while mapped: the run read zeros
  if (!intact.ok()) return report_error(intact.error());
  if (options.json) {
    std::fputs(greedy_run_to_json(*run).c_str(), stdout);
  } else {
    std::string line;
    for (int64_t id : run->generated) line += (line.empty() ? "" : " ") + std::to_string(id);
    std::printf("%s\n", line.c_str());
  }
  return kExitOk;
}

void setup_run(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* sub = app.add_subcommand("run", "Greedy continuation of a prompt with the float32 reference runtime");
  sub->add_option("model", options->model, "Checkpoint directory, or a bundle (directory or zip)")->required();
  sub->add_option("--prompt-ids", options->prompt_ids, "Prompt token ids, comma-separated (e.g. 2,17,5)")
      ->required();
  sub->add_option("-n,--max-new-tokens", options->max_new_tokens, "New tokens to generate (stops after eos)")
      ->check(CLI::Range(0, 1 << 30).description("an integer >= 0"));
  sub->add_flag("--no-check", options->no_check,
                "Bundles: skip the XXH3 check of every file and segment at open (exit 1 on a mismatch otherwise)");
  sub->add_flag("--json", options->json, "Print prompt, generated ids and per-step top-2 logits as JSON");
  add_quant_options(sub, &options->quant);
  sub->callback([options, run] { *run = [options] { return run_run(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(run, setup_run);

}  // namespace hfb::cli
