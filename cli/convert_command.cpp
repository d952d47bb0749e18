// `hfbundle convert SRC -o OUT [--pass NAME]... [--no-pass NAME]... [--chunks auto|N|RANGES] [--dry-run] [--force]
//  [--zip] [--zstd LEVEL] [--quant none] [--json] [--quiet]`.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "writers/convert.h"

namespace hfb::cli {
namespace {

struct ConvertCommandOptions {
  ConvertOptions convert;
  bool json = false;
  bool quiet = false;
};

int run_convert(const ConvertCommandOptions& options) {
  if (!options.convert.dry_run && options.convert.out.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument, "convert needs -o OUT (or --dry-run)"));
  }
  auto result = convert_checkpoint(options.convert);
  if (!result.ok()) return report_error(result.error());
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
  CLI::App* sub = app.add_subcommand("convert", "Checkpoint -> passes -> chunked bundle (directory or zip)");
  sub->add_option("source", c.source, "Checkpoint directory")->required();
  sub->add_option("-o,--out", c.out, "Output bundle (NAME.hfb directory, or a zip file with --zip)");
  sub->add_option("--pass", c.passes.enable, "Enable a pass (repeatable)");
  sub->add_option("--no-pass", c.passes.disable, "Disable a default pass (repeatable)");
  sub->add_option("--chunks", c.passes.chunks, "auto | N | ranges '0-7,8-14,...' (default auto)");
  sub->add_flag("--dry-run", c.dry_run, "Print the plan, pass report and projected size; write nothing");
  sub->add_flag("--force", c.force, "Replace an existing OUT");
  sub->add_flag("--zip", c.zip, "Write one stored-entry zip file instead of a directory");
  sub->add_option("--zstd", c.zstd_level, "zstd-compress each data file at this level (1..22)")
      ->check(CLI::Range(0, 22));
  sub->add_option("--quant", c.quant, "Quantization scheme (default none: float as in the checkpoint)");
  sub->add_flag("--json", options->json, "Print a JSON summary");
  sub->add_flag("--quiet", options->quiet, "Print nothing on success (except for --dry-run)");
  sub->callback([options, run] { *run = [options] { return run_convert(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(convert, setup_convert);

}  // namespace hfb::cli
