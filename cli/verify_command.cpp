// `hfbundle verify MODEL (--golden DIR | --against CHECKPOINT [--prompt-ids-file F | --random-prompts N --seed S]
//  [--steps K] [--save-golden DIR] [--audio F] [--image F] [--max-soft-tokens N]) [--report FILE] [--margin 0.1] [--logit-tolerance X|off] [--cases a,b]
//  [--quant SCHEME [policy options] [--coverage FILE]]` (quantized in memory first, see docs/quantization.md).
#include <cstdio>
#include <string>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/model_source_options.h"
#include "cli/quant_options.h"
#include "cli/side_output.h"
#include "cli/terminal_progress.h"
#include "cli/thread_options.h"
#include "pipeline/bundle_session.h"
#include "pipeline/open_model.h"
#include "pipeline/quantized_session.h"
#include "validators/report.h"

namespace hfb::cli {
namespace {

struct VerifyCommandOptions {
  std::string model;
  std::string golden;
  std::string report;
  double margin = kDefaultMarginThreshold;
  std::string logit_tolerance = "2e-3";
  std::string cases;
  AgainstOptions against;
  ModelSourceOptions source;  ///< --mmproj / --config of a GGUF model
  QuantCliOptions quant;
  bool no_check = false;
  bool quiet = false;
  int threads = 0;  // 0: every core
};

int run_verify(const VerifyCommandOptions& options) {
  apply_threads_option(options.threads);
  VerifyOptions verify;
  verify.check_checksums = !options.no_check;
  auto progress = std::make_shared<TerminalProgress>(options.quiet);  // --golden, and both passes of --against
  if (progress->enabled()) {
    verify.on_progress = [progress](size_t index, size_t count, int done, int total) {
      progress->step("[verify] case " + std::to_string(index + 1) + "/" + std::to_string(count) + ", step " +
                         std::to_string(done) + "/" + std::to_string(total),
                     done == total);
    };
  }
  verify.margin_threshold = options.margin;
  auto tolerance = parse_logit_tolerance(options.logit_tolerance);
  if (!tolerance.ok()) return report_error(tolerance.error());
  verify.logit_tolerance = *tolerance;
  if (!options.cases.empty()) {
    auto cases = parse_name_list(options.cases);
    if (!cases.ok()) return report_error(cases.error());
    verify.cases = *cases;
  }
  if (options.golden.empty() == options.against.reference_path.empty()) {
    return report_error(
        Error(ErrorCode::kInvalidArgument, "give exactly one of --golden DIR and --against CHECKPOINT"));
  }
  auto policy = make_quant_policy(options.quant);
  if (!policy.ok()) return report_error(policy.error());
  for (const auto& [path, flag] : {std::pair{options.report, "--report"}, std::pair{options.quant.coverage, "--coverage"}}) {
    Status side = check_side_output(path, flag);
    if (!side.ok()) return report_error(side.error());
  }
  if (*policy && is_bundle_path(options.model)) {
    return report_error(Error(ErrorCode::kInvalidArgument, "--quant quantizes a checkpoint in memory; '" +
                                                               options.model + "' is a bundle (use convert --quant)"));
  }
  if (*policy && options.golden.empty()) {
    return report_error(Error(ErrorCode::kUnsupported, "--quant works with --golden only (not --against) for now"));
  }
  CoverageReport coverage;
  auto report = *policy ? verify_quantized_model(options.model, options.golden, **policy, verify, &coverage)
                : options.golden.empty() ? verify_model_against(options.model, options.against, verify)
                                         : verify_model(options.model, options.golden, verify, options.source);
  if (report.ok() && *policy) {
    Status emitted = emit_coverage(options.quant, coverage);
    if (!emitted.ok()) return report_error(emitted.error());
  }
  progress->finish();
  if (!report.ok()) return report_error(report.error());
  std::fputs(report_summary(*report).c_str(), stdout);
  if (!options.report.empty()) {
    Status written = write_text_file_atomic(options.report, report_to_json(*report));
    if (!written.ok()) return report_error(written.error());
  }
  return report->pass ? kExitOk : kExitCheckFailed;
}

void setup_verify(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<VerifyCommandOptions>();
  CLI::App* sub = app.add_subcommand("verify", "Greedy parity of a model against Hugging Face goldens");
  sub->add_option("model", options->model, "Checkpoint directory, a bundle (directory or zip), or a GGUF")->required();
  add_model_source_options(sub, &options->source);
  auto* golden = sub->add_option("--golden", options->golden, "Directory with golden.json + golden_tensors.safetensors");
  auto* against = sub->add_option("--against", options->against.reference_path,
                                  "Reference checkpoint run in float32 instead of a golden");
  golden->excludes(against);
  auto* file = sub->add_option("--prompt-ids-file", options->against.prompt_ids_file,
                               "With --against: prompts, one a line, ids comma-separated");
  auto* random = sub->add_option("--random-prompts", options->against.random_prompts,
                                 "With --against: this many seeded random prompts (default 8)")
                     ->check(CLI::PositiveNumber);
  file->excludes(random);
  auto* texts = sub->add_option("--prompts-file", options->against.prompts_file,
                                "With --against: text prompts, one a line (tokenized with the reference's tokenizer)");
  texts->excludes(random);
  texts->excludes(file);
  sub->add_option("--seed", options->against.seed, "With --random-prompts: the seed (default 0)");
  sub->add_option("--steps", options->against.steps, "With --against: greedy steps per prompt (default 16)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--save-golden", options->against.save_golden_dir,
                  "With --against: also store the reference run here in the golden format (for --golden)")
      ->needs(against);
  sub->add_option("--audio", options->against.audio_path,
                  "With --against: a WAV fed with every prompt (markers added after bos when absent)")
      ->needs(against);
  sub->add_option("--image", options->against.image_path, "With --against: a PNG/JPEG fed with every prompt")
      ->needs(against);
  sub->add_option("--max-soft-tokens", options->against.max_soft_tokens, "With --image: the soft-token budget")
      ->needs(against);
  sub->add_option("--report", options->report, "Write the JSON report here (atomically)");
  sub->add_option("--margin", options->margin, "A divergence passes where the golden top1-top2 margin is below this")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--logit-tolerance", options->logit_tolerance, "Max |logit diff| allowed, or 'off' (default 2e-3)");
  sub->add_option("--cases", options->cases, "Only these golden cases, comma-separated");
  sub->add_flag("--quiet", options->quiet, "No progress line (drawn only when stderr is a terminal)");
  add_threads_option(sub, &options->threads);
  add_quant_options(sub, &options->quant);
  sub->add_flag("--no-check", options->no_check,
                "Bundles: skip the XXH3 check of every file and segment at open (exit 1 on a mismatch otherwise)");
  sub->callback([options, run] { *run = [options] { return run_verify(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(verify, setup_verify);

}  // namespace hfb::cli
