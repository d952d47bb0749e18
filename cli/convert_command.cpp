// `hfbundle convert SRC -o OUT [--pass NAME]... [--no-pass NAME]... [--chunks auto|N|RANGES] [--dry-run] [--force]
//  [--zip] [--zstd LEVEL] [--quant SCHEME] [--group-size G] [--block-size B] [--per-tensor] [--tensor-type RE=S]...
//  [--role-type ROLE=S]... [--chunk-type CHUNK=S]... [--min-elements N] [--recipe FILE] [--coverage FILE]
//  [--calibrate FILE | --calibrate-ids FILE | --imatrix F] [--calibrate-context N] [--save-imatrix F] [--json]
//  [--quiet] [--verbose]`; `--quant auto --max-kl X [--max-size B] [--calibrate FILE] [--save-recipe F]`
//  measures and picks the policy (the same --calibrate text also weights the quantizers).
// Default output: a summary of at most ~25 lines; --verbose and --dry-run print the per-tensor table.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "cli/command.h"
#include "cli/model_source_options.h"
#include "cli/gguf_options.h"
#include "cli/interrupt_handlers.h"
#include "cli/quant_options.h"
#include "cli/side_output.h"
#include "pipeline/auto_quant.h"
#include "pipeline/convert.h"
#include "pipeline/coverage_json.h"
#include "validators/report.h"

namespace hfb::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct AutoCliOptions {
  double max_kl = 0;      ///< 0: not given
  uint64_t max_size = 0;  ///< 0: no limit
  std::string save_recipe;
};

struct ConvertCommandOptions {
  ConvertOptions convert;
  QuantCliOptions quant;
  std::string recipe;                 ///< --recipe FILE: the whole policy (quant and pass flags refused with it)
  std::vector<std::string> policy_flags_given;  ///< quant / pass flags given on the command line
  AutoCliOptions automatic;
  bool json = false;
  bool quiet = false;
  bool verbose = false;
  std::string format = "bundle";  ///< --format bundle|gguf
  std::string mmproj_out;         ///< --mmproj-out (gguf)
};

/// A one-line progress display on stderr (a terminal only), redrawn at most 10 times a second.
class ProgressLine {
 public:
  void update(const ConvertProgress& p) {
    const auto now = Clock::now();
    if (p.tensor_index == last_index_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_index_ = p.tensor_index;
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(p.bytes_done) / seconds : 0.0;
    const double eta = rate > 0 ? static_cast<double>(p.bytes_total - p.bytes_done) / rate : 0.0;
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %.2f/%.2f GB %.0f MB/s ETA %.0fs  %s -> %s (%s)", p.tensor_index + 1,
                 p.tensor_count, p.bytes_done / 1e9, p.bytes_total / 1e9, rate / 1e6, eta, p.tensor.c_str(),
                 p.file.c_str(), p.scheme.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  void finish() {
    if (drawn_) std::fputs("\r\033[K", stderr);
  }

 private:
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_;
  size_t last_index_ = static_cast<size_t>(-1);
  bool drawn_ = false;
};

/// HFB_TEST_CONVERT_DELAY_MS=N (tests only): sleep N ms at every progress step, so a test can signal a convert
/// of a tiny fixture while it is writing.
void add_test_delay(ConvertOptions* convert) {
  const char* delay = std::getenv("HFB_TEST_CONVERT_DELAY_MS");
  if (delay == nullptr || std::atoi(delay) <= 0) return;
  const auto pause = std::chrono::milliseconds(std::atoi(delay));
  auto inner = convert->progress;
  convert->progress = [inner, pause](const ConvertProgress& p) {
    std::this_thread::sleep_for(pause);
    if (inner) inner(p);
  };
}

bool ends_with_zip(const std::string& path) {
  return path.size() > 4 && path.compare(path.size() - 4, 4, ".zip") == 0;
}

/// --quant auto: measures and chooses per chunk and role (pipeline/auto_quant.h); prints and stores the recipe.
Status resolve_auto_policy(ConvertCommandOptions* options, const QuantPolicyOptions& base) {
  const AutoCliOptions& a = options->automatic;
  if (a.max_kl <= 0) return Error(ErrorCode::kInvalidArgument, "--quant auto needs --max-kl X (mean KL budget, nats)");
  if (!options->quant.tensor_types.empty() || !options->quant.role_types.empty()) {
    return Error(ErrorCode::kInvalidArgument, "--quant auto chooses every scheme itself: drop --tensor-type/--role-type");
  }
  HFB_TRY(check_side_output(a.save_recipe, "--save-recipe"));
  const CalibrationOptions& cal = options->convert.calibration;
  if (!cal.ids_file.empty() || !cal.imatrix_file.empty() || !cal.save_file.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--quant auto measures on --calibrate TEXT only: drop --calibrate-ids/--imatrix/--save-imatrix");
  }
  AutoQuantOptions automatic;
  automatic.source = options->convert.source;
  automatic.max_kl = a.max_kl;
  if (a.max_size > 0) automatic.max_size = a.max_size;
  automatic.calibrate_file = options->convert.calibration.text_file;
  automatic.passes = options->convert.passes;
  automatic.base = base;
  HFB_TRY(AutoQuantResult chosen, choose_auto_quant(automatic));
  if (!options->quiet) std::fputs(chosen.to_string().c_str(), stderr);  // stdout keeps the convert summary / JSON
  options->convert.quant = chosen.policy;
  options->convert.recipe_notes_json = chosen.to_json();  // stored with the recipe in the manifest
  // The calibration text chose the recipe; the quantizers run unweighted, exactly as measured, so the bundle is
  // what `convert --recipe` of its stored recipe gives, byte for byte.
  options->convert.calibration = CalibrationOptions();
  if (!a.save_recipe.empty()) {
    HFB_TRY(write_text_file_atomic(a.save_recipe, recipe_to_json(convert_recipe(options->convert))));
  }
  return ok_status();
}

/// The policy options for the library: --recipe FILE, or the flags (--quant defaults to none, so overrides alone
/// are allowed).
Status resolve_policy(ConvertCommandOptions* options) {
  if (!options->recipe.empty()) {
    if (!options->policy_flags_given.empty()) {
      return Error(ErrorCode::kInvalidArgument, "--recipe holds the whole policy; " + options->policy_flags_given[0] +
                                                    " cannot be combined with it (edit the recipe instead)");
    }
    HFB_TRY(Recipe recipe, read_recipe_file(options->recipe));
    apply_recipe(recipe, &options->convert);
    return ok_status();
  }
  QuantCliOptions quant = options->quant;
  const bool automatic = quant.quant == "auto";
  if (!automatic && (options->automatic.max_kl > 0 || options->automatic.max_size > 0 ||
                     !options->automatic.save_recipe.empty())) {
    return Error(ErrorCode::kInvalidArgument, "--max-kl, --max-size and --save-recipe need --quant auto");
  }
  if (quant.quant.empty() || automatic) quant.quant = "none";
  auto policy = make_quant_policy(quant);
  if (!policy.ok()) return std::move(policy).error();
  if (!policy->has_value()) return Error(ErrorCode::kInternal, "no quantization policy for --quant " + quant.quant);
  options->convert.quant = (**policy).options();
  return automatic ? resolve_auto_policy(options, options->convert.quant) : ok_status();
}

/// --format gguf: the GGUF exporter (cli/gguf_options.h) with the flags that apply to it.
int run_convert_gguf(const ConvertCommandOptions& options) {
  const ConvertOptions& c = options.convert;
  if (c.dry_run || c.zip || c.zstd_level != 0 || !c.passes.enable.empty() || !c.passes.disable.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "--dry-run, --zip, --zstd, --pass and --no-pass are bundle options, not for --format gguf"));
  }
  const CalibrationOptions& cal = c.calibration;
  if (!options.recipe.empty() || !options.quant.chunk_types.empty() || !cal.text_file.empty() ||
      !cal.ids_file.empty() || !cal.imatrix_file.empty() || !cal.save_file.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "--recipe, --chunk-type, --calibrate, --calibrate-ids, --imatrix and --save-imatrix are "
                              "bundle options, not for --format gguf (GGUF's q4_0/q8_0 are fixed formats)"));
  }
  GgufCliOptions gguf;
  gguf.exporter.source = c.source;
  gguf.exporter.model_source = c.model_source;
  gguf.exporter.out = c.out;
  gguf.exporter.mmproj_out = options.mmproj_out;
  gguf.exporter.force = c.force;
  gguf.quant = options.quant;
  gguf.json = options.json;
  gguf.quiet = options.quiet;
  gguf.verbose = options.verbose;
  return run_gguf_export(std::move(gguf), false);
}

int run_convert(ConvertCommandOptions options) {
  if (options.format == "gguf") return run_convert_gguf(options);
  if (!options.mmproj_out.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument, "--mmproj-out needs --format gguf"));
  }
  if (!options.convert.dry_run && options.convert.out.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument, "convert needs -o OUT (or --dry-run)"));
  }
  if (ends_with_zip(options.convert.out)) options.convert.zip = true;  // -o x.hfb.zip writes the zip container
  Status policy = resolve_policy(&options);
  if (!policy.ok()) return report_error(policy.error());
  Status side = check_side_output(options.quant.coverage, "--coverage");  // before anything is published
  if (!side.ok()) return report_error(side.error());
  Status stats_out = check_side_output(options.convert.calibration.save_file, "--save-imatrix");
  if (!stats_out.ok()) return report_error(stats_out.error());
  auto progress = std::make_shared<ProgressLine>();
  if (!options.quiet && ::isatty(STDERR_FILENO)) {
    options.convert.progress = [progress](const ConvertProgress& p) { progress->update(p); };
  }
  add_test_delay(&options.convert);
  options.convert.command_line = invocation();
  Result<ConvertResult> result = Error(ErrorCode::kInternal, "convert did not run");
  {
    InterruptHandlers handlers;  // Ctrl-C / SIGTERM: the pipeline unwinds and removes OUT.tmp-*
    result = convert_checkpoint(options.convert);
  }
  progress->finish();
  if (const int code = exit_for_interrupt("convert", "the temporary output was removed")) return code;
  if (!result.ok()) return report_error(result.error());
  for (const std::string& dir : result->removed_temp_dirs) {
    std::fprintf(stderr, "hfbundle: removed %s, left by an earlier convert that was killed\n", dir.c_str());
  }
  if (!options.quant.coverage.empty()) {
    Status written = write_text_file_atomic(options.quant.coverage, coverage_to_json(result->coverage));
    if (!written.ok()) return report_error(written.error());
  }
  if (options.json) {
    std::fputs(result->to_json().c_str(), stdout);
  } else if (options.verbose || options.convert.dry_run) {
    std::fputs(result->to_string().c_str(), stdout);  // the per-tensor table: what a dry run is for
  } else if (!options.quiet) {
    const std::string hint = !options.quant.coverage.empty()
                                 ? options.quant.coverage
                                 : "`hfbundle inspect " + result->out + "`, or convert with --verbose / --coverage FILE";
    std::fputs(result->to_summary(hint).c_str(), stdout);
  }
  return kExitOk;
}

/// --calibrate FILE / --calibrate-ids FILE / --calibrate-context N / --imatrix F / --save-imatrix F.
void add_calibration_options(CLI::App* sub, CalibrationOptions* c) {
  auto* text = sub->add_option("--calibrate", c->text_file,
                               "Calibration text, one sequence a line (the checkpoint's tokenizer): weights the "
                               "int8/int4 scale search and the k-means LUTs by each input column's activations");
  auto* ids = sub->add_option("--calibrate-ids", c->ids_file, "Calibration ids, one sequence a line, comma-separated");
  auto* imatrix = sub->add_option("--imatrix", c->imatrix_file, "Reuse calibration statistics saved by --save-imatrix");
  text->excludes(ids)->excludes(imatrix);
  ids->excludes(imatrix);
  sub->add_option("--calibrate-context", c->context, "Longer calibration sequences run as windows of N tokens (512)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  sub->add_option("--save-imatrix", c->save_file, "Write the calibration statistics to FILE (docs/formats/imatrix.md)");
}

void setup_convert(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<ConvertCommandOptions>();
  ConvertOptions& c = options->convert;
  CLI::App* sub = app.add_subcommand("convert", "Checkpoint -> passes -> quantization -> chunked bundle");
  sub->add_option("source", c.source, "Checkpoint directory, or a GGUF (+ --mmproj, --config)")->required();
  add_model_source_options(sub, &c.model_source);
  sub->add_option("-o,--out", c.out,
                  "Output bundle, REQUIRED unless --dry-run: NAME.hfb (a directory) or NAME.hfb.zip (a zip file; "
                  "the .zip extension implies --zip)");
  sub->add_option("--pass", c.passes.enable, "Enable a pass (repeatable)");
  sub->add_option("--no-pass", c.passes.disable, "Disable a default pass (repeatable)");
  sub->add_option("--chunks", c.passes.chunks, "auto | N | ranges '0-7,8-14,...' (default auto)");
  sub->add_flag("--dry-run", c.dry_run, "Quantize and report (coverage, projected size); write nothing");
  sub->add_flag("--force", c.force, "Replace an existing OUT");
  sub->add_flag("--zip", c.zip, "Write one stored-entry zip file instead of a directory");
  sub->add_option("--zstd", c.zstd_level, "zstd-compress each data file at this level (1..22)")
      ->check(CLI::Range(0, 22));
  add_quant_options(sub, &options->quant,  // policy flags, --coverage FILE
                    "Scheme for the tensors the policy quantizes: none|int8|int4|q4_0|q8_0|kmeans4|kmeans8, or auto "
                    "(measured per chunk and role within --max-kl; default none: every tensor kept as stored); "
                    "with --format gguf: "
                    "f32|f16|bf16|none|q4_0|q8_0");
  add_chunk_type_option(sub, &options->quant);
  sub->add_option("--recipe", options->recipe,
                  "JSON recipe holding the whole policy (quant, overrides, sizes, thresholds, passes; docs/recipes.md); "
                  "`hfbundle inspect BUNDLE --recipe` prints the one a bundle was made with");
  add_calibration_options(sub, &c.calibration);
  sub->add_option("--format", options->format, "bundle (default) | gguf: a llama.cpp GGUF (docs/gguf.md)")
      ->check(CLI::IsMember({"bundle", "gguf"}));
  sub->add_option("--mmproj-out", options->mmproj_out, "--format gguf: write the vision/audio towers to this mmproj GGUF");
  AutoCliOptions& a = options->automatic;
  sub->add_option("--max-kl", a.max_kl, "With --quant auto: mean KL(float || quantized) budget in nats")
      ->check(CLI::PositiveNumber);
  sub->add_option("--max-size", a.max_size, "With --quant auto: fail unless the recipe's tensor bytes fit");
  sub->add_option("--save-recipe", a.save_recipe,
                  "With --quant auto: also write the chosen recipe (with its measurements) to FILE, for convert --recipe");
  sub->add_flag("--json", options->json, "Print a JSON summary (with the coverage) on stdout");
  sub->add_flag("--quiet", options->quiet, "No progress line; print nothing on success (except for --dry-run)");
  sub->add_flag("--verbose", options->verbose, "Print the full report: pass reports and one coverage line per tensor");
  sub->callback([options, run, sub] {
    for (const char* flag : {"--quant", "--group-size", "--block-size", "--per-tensor", "--tensor-type", "--role-type",
                             "--chunk-type", "--min-elements", "--allow-nonfinite", "--pass", "--no-pass", "--chunks"}) {
      if (sub->count(flag) > 0) options->policy_flags_given.push_back(flag);
    }
    *run = [options] { return run_convert(*options); };
  });
}

}  // namespace

HFB_REGISTER_COMMAND(convert, setup_convert);

}  // namespace hfb::cli
