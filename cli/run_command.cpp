// `hfbundle run MODEL --prompt-ids 2,17,5 [-n 16] [--json]`: greedy continuation with the reference runtime.
#include <cstdio>
#include <string>

#include "cli/command.h"
#include "validators/parity_greedy.h"
#include "validators/parity_session.h"
#include "validators/report.h"

namespace hfb::cli {
namespace {

struct RunOptions {
  std::string model;
  std::string prompt_ids;
  int max_new_tokens = 16;
  bool json = false;
};

int run_run(const RunOptions& options) {
  auto ids = parse_token_ids(options.prompt_ids);
  if (!ids.ok()) return report_error(ids.error());
  auto model = open_model_session(options.model);
  if (!model.ok()) return report_error(model.error());
  GreedyOptions greedy;
  greedy.max_new_tokens = options.max_new_tokens;
  greedy.eos_ids = model->eos_ids;
  auto run = run_greedy(*model->session, *ids, nullptr, nullptr, greedy);
  if (!run.ok()) return report_error(run.error());
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
  sub->add_option("model", options->model, "Checkpoint directory")->required();
  sub->add_option("--prompt-ids", options->prompt_ids, "Prompt token ids, comma-separated (e.g. 2,17,5)")
      ->required();
  sub->add_option("-n,--max-new-tokens", options->max_new_tokens, "New tokens to generate (stops after eos)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--json", options->json, "Print prompt, generated ids and per-step top-2 logits as JSON");
  sub->callback([options, run] { *run = [options] { return run_run(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(run, setup_run);

}  // namespace hfb::cli
