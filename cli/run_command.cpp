// `hfbundle run MODEL|BUNDLE --prompt-ids 2,17,5 [-n 16] [--json] [--quant SCHEME ...]`: greedy continuation
// with the reference runtime (a checkpoint quantized in memory first with --quant).
#include <chrono>
#include <cstdio>
#include <string>

#include "cli/command.h"
#include "cli/quant_options.h"
#include "cli/thread_options.h"
#include "core/process_memory.h"
#include "pipeline/bundle_session.h"
#include "pipeline/coverage_json.h"
#include "pipeline/open_model.h"
#include "pipeline/quantized_session.h"
#include "validators/parity_greedy.h"
#include "validators/report.h"
#include "validators/run_timings.h"

namespace hfb::cli {
namespace {

struct RunOptions {
  std::string model;
  std::string prompt_ids;
  int max_new_tokens = 16;
  bool json = false;
  int threads = 0;  // 0: every core
  QuantCliOptions quant;
};

int run_run(const RunOptions& options) {
  auto ids = parse_token_ids(options.prompt_ids);
  if (!ids.ok()) return report_error(ids.error());
  auto policy = make_quant_policy(options.quant);
  if (!policy.ok()) return report_error(policy.error());
  if (*policy && is_bundle_path(options.model)) {
    return report_error(Error(ErrorCode::kInvalidArgument, "--quant quantizes a checkpoint in memory; '" +
                                                               options.model + "' is a bundle (use convert --quant)"));
  }
  apply_threads_option(options.threads);
  AnonPeakSampler memory;
  const auto load_start = std::chrono::steady_clock::now();
  CoverageReport coverage;
  auto model = *policy ? open_quantized_model_session(options.model, **policy, &coverage)
                       : open_model_session(options.model);
  if (!model.ok()) return report_error(model.error());
  RunTimings timings;
  timings.load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  timings.note = model->load_note;
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
  add_greedy_timings(*run, &timings);
  timings.peak_anon_bytes = memory.sample();
  timings.peak_rss_bytes = read_process_memory().peak_rss_bytes;
  std::fprintf(stderr, "%s\n", run_timings_line(timings).c_str());
  if (options.json) {
    std::fputs(greedy_run_to_json(*run, &timings).c_str(), stdout);
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
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--json", options->json, "Print prompt, generated ids and per-step top-2 logits as JSON");
  add_threads_option(sub, &options->threads);
  add_quant_options(sub, &options->quant);
  sub->callback([options, run] { *run = [options] { return run_run(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(run, setup_run);

}  // namespace hfb::cli
