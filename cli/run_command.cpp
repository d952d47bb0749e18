// `hfbundle run MODEL|BUNDLE --prompt-ids 2,17,5 [--audio a.wav] [--image x.png] [-n 16] [--json] [--quant ...]`:
// greedy continuation with the reference runtime (a checkpoint quantized in memory first with --quant); media go
// through the Gemma 4 front-ends and marker ids in the prompt expand to their soft-token runs.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "cli/command.h"
#include "cli/quant_options.h"
#include "cli/thread_options.h"
#include "core/process_memory.h"
#include "pipeline/bundle_session.h"
#include "pipeline/coverage_json.h"
#include "pipeline/open_model.h"
#include "pipeline/media_inputs.h"
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
  std::string audio;
  std::string image;
  int max_soft_tokens = 0;
  int threads = 0;  // 0: every core
  QuantCliOptions quant;
};

/// Front-end outputs for --audio / --image and the prompt with its markers expanded (ids as given without media).
Result<std::vector<int64_t>> prepare_prompt(const RunOptions& options, std::vector<int64_t> ids,
                                            std::optional<PreparedMedia>* media) {
  if (options.audio.empty() && options.image.empty()) return ids;
  HFB_TRY(media::MediaSettings settings, load_media_settings(options.model, options.max_soft_tokens));
  HFB_TRY(PreparedMedia prepared, prepare_media(settings, options.audio, options.image));
  HFB_TRY(std::vector<int64_t> expanded, expand_media_prompt(ids, settings, prepared));
  *media = std::move(prepared);
  return expanded;
}

int run_run(const RunOptions& options) {
  auto parsed = parse_token_ids(options.prompt_ids);
  if (!parsed.ok()) return report_error(parsed.error());
  std::optional<PreparedMedia> media;
  auto ids = prepare_prompt(options, *parsed, &media);
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
  auto run = run_greedy(*model->session, *ids, media ? &media->inputs : nullptr, nullptr, greedy);
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
  sub->add_option("--audio", options->audio, "WAV file for the audio tower (its marker id in the prompt expands)");
  sub->add_option("--image", options->image, "PNG/JPEG file for the vision tower (its marker id in the prompt expands)");
  sub->add_option("--max-soft-tokens", options->max_soft_tokens, "Image soft-token budget (70/140/280/560/1120)");
  add_threads_option(sub, &options->threads);
  add_quant_options(sub, &options->quant);
  sub->callback([options, run] { *run = [options] { return run_run(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(run, setup_run);

}  // namespace hfb::cli
