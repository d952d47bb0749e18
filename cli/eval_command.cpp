// `hfbundle eval MODEL --against CKPT (--text F | --ids-file F) [--context N] [--json] [--save-reference F]
//  [--reference F] [--report F]`: teacher-forced KL / top-1 agreement / perplexity against a float32 reference.
#include <cstdio>
#include <string>

#include "cli/command.h"
#include "cli/side_output.h"
#include "cli/terminal_progress.h"
#include "cli/thread_options.h"
#include "pipeline/eval.h"
#include "validators/report.h"

namespace hfb::cli {
namespace {

struct EvalCommandOptions {
  std::string model;
  EvalOptions eval;
  bool json = false;
  std::string report;
  bool no_check = false;
  bool quiet = false;
  int threads = 0;
};

int run_eval(EvalCommandOptions options) {
  apply_threads_option(options.threads);
  options.eval.check_checksums = !options.no_check;
  for (const auto& [path, flag] : {std::pair{options.report, "--report"},
                                   std::pair{options.eval.save_reference, "--save-reference"}}) {
    Status side = check_side_output(path, flag);
    if (!side.ok()) return report_error(side.error());
  }
  auto progress = std::make_shared<TerminalProgress>(options.quiet);
  if (progress->enabled()) {
    options.eval.on_progress = [progress](const char* pass, size_t done, size_t total) {
      progress->step("[eval] " + std::string(pass) + " sequence " + std::to_string(done) + "/" + std::to_string(total),
                     done == total);
    };
  }
  auto report = eval_model(options.model, options.eval);
  progress->finish();
  if (!report.ok()) return report_error(report.error());
  const std::string json = eval_report_to_json(*report);
  std::fputs(options.json ? json.c_str() : eval_report_summary(*report).c_str(), stdout);
  if (!options.report.empty()) {
    Status written = write_text_file_atomic(options.report, json);
    if (!written.ok()) return report_error(written.error());
  }
  return kExitOk;
}

void setup_eval(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<EvalCommandOptions>();
  CLI::App* sub = app.add_subcommand("eval", "Teacher-forced KL divergence, top-1 agreement and perplexity on text");
  sub->add_option("model", options->model, "Checkpoint directory, or a bundle (directory or zip)")->required();
  auto* against = sub->add_option("--against", options->eval.against, "Reference checkpoint, run in float32");
  auto* text = sub->add_option("--text", options->eval.text_file,
                               "Text, one sequence a line (tokenized with bos by the reference's tokenizer)");
  auto* ids = sub->add_option("--ids-file", options->eval.ids_file, "Token ids, one sequence a line, comma-separated");
  text->excludes(ids);
  sub->add_option("--context", options->eval.context, "Cut longer lines into pieces of this many ids (default: no cut)")
      ->check(CLI::PositiveNumber);
  auto* save = sub->add_option("--save-reference", options->eval.save_reference,
                               "Also store the reference's logits here (for --reference)");
  save->needs(against);
  auto* reuse = sub->add_option("--reference", options->eval.reference_file,
                                "Reference logits saved by --save-reference (checked against --against and the ids)");
  reuse->excludes(save);
  sub->add_flag("--json", options->json, "Print the JSON report instead of the summary");
  sub->add_option("--report", options->report, "Also write the JSON report here (atomically)");
  sub->add_flag("--quiet", options->quiet, "No progress line (drawn only when stderr is a terminal)");
  add_threads_option(sub, &options->threads);
  sub->add_flag("--no-check", options->no_check, "Bundles: skip the XXH3 check of every file and segment at open");
  sub->callback([options, run] { *run = [options] { return run_eval(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(eval, setup_eval);

}  // namespace hfb::cli
