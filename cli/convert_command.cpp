// `hfbundle convert SRC -o OUT [--pass NAME]... [--no-pass NAME]... [--chunks auto|N|RANGES] [--dry-run] [--force]
//  [--zip] [--zstd LEVEL] [--quant SCHEME] [--group-size G] [--block-size B] [--per-tensor] [--tensor-type RE=S]...
//  [--role-type ROLE=S]... [--min-elements N] [--coverage FILE] [--json] [--quiet]`.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "cli/quant_options.h"
#include "pipeline/convert.h"
#include "pipeline/coverage_json.h"
#include "validators/report.h"

namespace hfb::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct ConvertCommandOptions {
  ConvertOptions convert;
  QuantCliOptions quant;
  bool json = false;
  bool quiet = false;
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

/// The policy options for the library: --quant defaults to none, so overrides alone are allowed.
Status resolve_policy(ConvertCommandOptions* options) {
  QuantCliOptions quant = options->quant;
  if (quant.quant.empty()) quant.quant = "none";
  auto policy = make_quant_policy(quant);
  if (!policy.ok()) return std::move(policy).error();
  if (!policy->has_value()) return Error(ErrorCode::kInternal, "no quantization policy for --quant " + quant.quant);
  options->convert.quant = (**policy).options();
  return ok_status();
}

int run_convert(ConvertCommandOptions options) {
  if (!options.convert.dry_run && options.convert.out.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument, "convert needs -o OUT (or --dry-run)"));
  }
  Status policy = resolve_policy(&options);
  if (!policy.ok()) return report_error(policy.error());
  auto progress = std::make_shared<ProgressLine>();
  if (!options.quiet && ::isatty(STDERR_FILENO)) {
    options.convert.progress = [progress](const ConvertProgress& p) { progress->update(p); };
  }
  auto result = convert_checkpoint(options.convert);
  progress->finish();
  if (!result.ok()) return report_error(result.error());
  if (!options.quant.coverage.empty()) {
    Status written = write_text_file_atomic(options.quant.coverage, coverage_to_json(result->coverage));
    if (!written.ok()) return report_error(written.error());
  }
  if (options.json) {
    std::fputs(result->to_json().c_str(), stdout);
  } else if (!options.quiet || options.convert.dry_run) {
    std::fputs(result->to_string().c_str(), stdout);
  }
  return kExitOk;
}

void setup_convert(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<ConvertCommandOptions>();
  ConvertOptions& c = options->convert;
  CLI::App* sub = app.add_subcommand("convert", "Checkpoint -> passes -> quantization -> chunked bundle");
  sub->add_option("source", c.source, "Checkpoint directory")->required();
  sub->add_option("-o,--out", c.out, "Output bundle (NAME.hfb directory, or a zip file with --zip)");
  sub->add_option("--pass", c.passes.enable, "Enable a pass (repeatable)");
  sub->add_option("--no-pass", c.passes.disable, "Disable a default pass (repeatable)");
  sub->add_option("--chunks", c.passes.chunks, "auto | N | ranges '0-7,8-14,...' (default auto)");
  sub->add_flag("--dry-run", c.dry_run, "Quantize and report (coverage, projected size); write nothing");
  sub->add_flag("--force", c.force, "Replace an existing OUT");
  sub->add_flag("--zip", c.zip, "Write one stored-entry zip file instead of a directory");
  sub->add_option("--zstd", c.zstd_level, "zstd-compress each data file at this level (1..22)")
      ->check(CLI::Range(0, 22));
  add_quant_options(sub, &options->quant);  // --quant (default none here), policy flags, --coverage FILE
  sub->add_flag("--json", options->json, "Print a JSON summary (with the coverage) on stdout");
  sub->add_flag("--quiet", options->quiet, "No progress line; print nothing on success (except for --dry-run)");
  sub->callback([options, run] { *run = [options] { return run_convert(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(convert, setup_convert);

}  // namespace hfb::cli
