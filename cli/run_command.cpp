// `hfbundle run MODEL|BUNDLE (--prompt TEXT | --chat MESSAGE | --prompt-ids 2,17,5) [--audio a.wav] [--image x.png]
// [-n 16] [--json] [--threads N] [--temperature T [--top-k K] [--top-p P] [--seed S]] [--quant ...]`: greedy (or
// sampled) continuation with the reference runtime (a checkpoint quantized in memory first with --quant). Text
// prompts are tokenized with the model's tokenizer.json and the answer is streamed as text; media go through the
// Gemma 4 front-ends and marker ids in the prompt expand to their soft-token runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

#include "cli/command.h"
#include "cli/model_source_options.h"
#include "cli/quant_options.h"
#include "cli/side_output.h"
#include "cli/terminal_progress.h"
#include "cli/thread_options.h"
#include "core/process_memory.h"
#include "pipeline/bundle_session.h"
#include "pipeline/coverage_json.h"
#include "pipeline/open_model.h"
#include "pipeline/media_inputs.h"
#include "pipeline/quantized_session.h"
#include "readers/prompt_ids.h"
#include "readers/tokenizer/stream_decoder.h"
#include "readers/tokenizer/text_tokenizer.h"
#include "validators/parity_greedy.h"
#include "validators/report.h"
#include "validators/run_timings.h"

namespace hfb::cli {
namespace {

struct RunOptions {
  std::string model;
  ModelSourceOptions source;  ///< --mmproj / --config of a GGUF model
  std::string prompt_ids;
  std::string prompt;
  std::string chat;
  int max_new_tokens = 16;
  bool json = false;
  bool no_check = false;
  std::string audio;
  std::string image;
  int max_soft_tokens = 0;
  int threads = 0;  // 0: every core
  QuantCliOptions quant;
  SamplingOptions sampling;
  bool seed_given = false;
  bool quiet = false;
};

bool text_mode(const RunOptions& options) { return !options.prompt.empty() || !options.chat.empty(); }

// The prompt ids: parsed from --prompt-ids, or --prompt / --chat through the model's tokenizer.
Result<std::vector<int64_t>> prompt_ids(const RunOptions& options, const tokenizer::TextTokenizer* text) {
  if (!text) return parse_token_ids(options.prompt_ids);
  std::vector<int32_t> ids;
  if (!options.chat.empty()) {
    HFB_TRY(ids, tokenizer::encode_chat_prompt(*text, options.chat));
  } else {
    HFB_TRY(ids, text->tokenizer.encode(options.prompt, true));
  }
  return std::vector<int64_t>(ids.begin(), ids.end());
}

/// --top-k / --top-p / --seed only mean something when sampling; a random seed is drawn (and printed) if none given.
Status resolve_sampling(RunOptions* options) {
  SamplingOptions& s = options->sampling;
  if (s.greedy() && (s.top_k != 0 || s.top_p != 1.0 || options->seed_given)) {
    return Error(ErrorCode::kInvalidArgument, "--top-k, --top-p and --seed need --temperature > 0 (default: greedy)");
  }
  if (!s.greedy() && !options->seed_given) {
    s.seed = (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
    std::fprintf(stderr, "hfbundle: sampling with --seed %llu\n", static_cast<unsigned long long>(s.seed));
  }
  return validate_sampling(s);
}

/// Front-end outputs for --audio / --image and the prompt with its markers expanded (ids as given without media).
Result<std::vector<int64_t>> prepare_prompt(const RunOptions& options, std::vector<int64_t> ids,
                                            std::optional<PreparedMedia>* media) {
  if (options.audio.empty() && options.image.empty()) return ids;
  HFB_TRY(media::MediaSettings settings, load_media_settings(options.model, options.max_soft_tokens, options.source));
  HFB_TRY(PreparedMedia prepared, prepare_media(settings, options.audio, options.image));
  HFB_TRY(std::vector<int64_t> expanded, expand_media_prompt(ids, settings, prepared));
  *media = std::move(prepared);
  return expanded;
}

int run_run(RunOptions options) {
  Status sampling = resolve_sampling(&options);
  if (!sampling.ok()) return report_error(sampling.error());
  int modes = !options.prompt_ids.empty() + !options.prompt.empty() + !options.chat.empty();
  if (modes != 1) {
    return report_error(Error(ErrorCode::kInvalidArgument, "give exactly one of --prompt, --chat, --prompt-ids"));
  }
  std::optional<tokenizer::TextTokenizer> text;
  if (text_mode(options)) {
    auto loaded = tokenizer::load_text_tokenizer(options.model);
    if (!loaded.ok()) return report_error(loaded.error());
    text.emplace(std::move(*loaded));
  }
  auto parsed = prompt_ids(options, text ? &*text : nullptr);
  if (!parsed.ok()) return report_error(parsed.error());
  std::optional<PreparedMedia> media;
  auto ids = prepare_prompt(options, *parsed, &media);
  if (!ids.ok()) return report_error(ids.error());
  auto policy = make_quant_policy(options.quant);
  if (!policy.ok()) return report_error(policy.error());
  Status side = check_side_output(options.quant.coverage, "--coverage");
  if (!side.ok()) return report_error(side.error());
  if (*policy && is_bundle_path(options.model)) {
    return report_error(Error(ErrorCode::kInvalidArgument, "--quant quantizes a checkpoint in memory; '" +
                                                               options.model + "' is a bundle (use convert --quant)"));
  }
  apply_threads_option(options.threads);
  AnonPeakSampler memory;
  const auto load_start = std::chrono::steady_clock::now();
  CoverageReport coverage;
  auto model = *policy ? open_quantized_model_session(options.model, **policy, &coverage)
                       : open_model_session(options.model, !options.no_check, options.source);
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
  std::optional<tokenizer::StreamDecoder> stream;
  Status stream_status;
  if (text) {
    for (int32_t id : text->stop_ids) {
      if (std::find(greedy.eos_ids.begin(), greedy.eos_ids.end(), id) == greedy.eos_ids.end()) greedy.eos_ids.push_back(id);
    }
  }
  if (text && !options.json) {
    stream.emplace(text->tokenizer);
    greedy.on_token = [&](int64_t token) {
      bool stop = std::find(greedy.eos_ids.begin(), greedy.eos_ids.end(), token) != greedy.eos_ids.end();
      if (stop || !stream_status.ok()) return;
      auto piece = stream->push(static_cast<int32_t>(token));
      if (!piece.ok()) {
        stream_status = std::move(piece).error();
        return;
      }
      std::fwrite(piece->data(), 1, piece->size(), stdout);
      std::fflush(stdout);
    };
  }
  greedy.sampling = options.sampling;
  TerminalProgress progress(options.quiet || stream.has_value());  // no progress line over streamed text
  if (progress.enabled()) {
    greedy.on_step = [&progress, &greedy](int done) {
      progress.step("[run] " + std::to_string(done) + "/" + std::to_string(greedy.max_new_tokens) + " tokens");
    };
  }
  auto run = run_greedy(*model->session, *ids, media ? &media->inputs : nullptr, nullptr, greedy);
  progress.finish();
  if (!run.ok()) return report_error(run.error());
  if (!stream_status.ok()) return report_error(stream_status.error());
  Status intact = model->check_inputs();  // a file truncated while mapped: the run read zeros
  if (!intact.ok()) return report_error(intact.error());
  add_greedy_timings(*run, &timings);
  timings.peak_anon_bytes = memory.sample();
  timings.peak_rss_bytes = read_process_memory().peak_rss_bytes;
  if (stream) {  // the answer was streamed as it was generated: its tail and the newline
    std::printf("%s\n", stream->finish().c_str());
    std::fflush(stdout);
  }
  std::fprintf(stderr, "%s\n", run_timings_line(timings).c_str());
  if (options.json) {
    std::fputs(greedy_run_to_json(*run, &timings).c_str(), stdout);
  } else if (!stream) {
    std::string line;
    for (int64_t id : run->generated) line += (line.empty() ? "" : " ") + std::to_string(id);
    std::printf("%s\n", line.c_str());
  }
  return kExitOk;
}

void setup_run(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* sub = app.add_subcommand("run", "Continue a prompt with the reference runtime (greedy, or sampled with --temperature)");
  sub->add_option("model", options->model, "Checkpoint directory, a bundle (directory or zip), or a GGUF")->required();
  add_model_source_options(sub, &options->source);
  sub->add_option("--prompt", options->prompt, "Prompt text (tokenized with the model's tokenizer.json, bos as its "
                                               "config says); the continuation is printed as text");
  sub->add_option("--chat", options->chat, "One user message in the model's turn format; prints the model's answer");
  sub->add_option("--prompt-ids", options->prompt_ids, "Prompt token ids, comma-separated (e.g. 2,17,5)");
  sub->add_option("-n,--max-new-tokens", options->max_new_tokens, "New tokens to generate (stops after eos)")
      ->check(CLI::Range(0, 1 << 30).description("NONNEGATIVE"));
  sub->add_flag("--no-check", options->no_check,
                "Bundles: skip the XXH3 check of every file and segment at open (exit 1 on a mismatch otherwise)");
  sub->add_flag("--json", options->json, "Print prompt, generated ids and per-step top-2 logits as JSON");
  sub->add_option("--audio", options->audio, "WAV file for the audio tower (its marker id in the prompt expands)");
  sub->add_option("--image", options->image, "PNG/JPEG file for the vision tower (its marker id in the prompt expands)");
  sub->add_option("--max-soft-tokens", options->max_soft_tokens, "Image soft-token budget (70/140/280/560/1120)");
  add_threads_option(sub, &options->threads);
  sub->add_option("--temperature", options->sampling.temperature, "Sample at this temperature (0: greedy)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--top-k", options->sampling.top_k, "Sample among the k most likely tokens (0: all)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--top-p", options->sampling.top_p, "Nucleus sampling: the most likely tokens up to p (1: all)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--seed", options->sampling.seed, "Seed for sampling (default: random, printed on stderr)")
      ->each([options](const std::string&) { options->seed_given = true; });
  sub->add_flag("--quiet", options->quiet, "No progress line (drawn only when stderr is a terminal)");
  add_quant_options(sub, &options->quant);
  sub->callback([options, run] { *run = [options] { return run_run(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(run, setup_run);

}  // namespace hfb::cli
