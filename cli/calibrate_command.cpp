// `hfbundle calibrate CKPT (--text FILE | --ids-file FILE) -o imatrix.dat [--context N] [--json] [--quiet]`:
// runs the float model over calibration text and saves its importance matrix (pipeline/calibrate.h), for
// `convert --imatrix F` later. The same statistics `convert --calibrate FILE --save-imatrix F` collects.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/side_output.h"
#include "models/load_checkpoint.h"
#include "pipeline/calibrate.h"

namespace hfb::cli {
namespace {

struct CalibrateCommandOptions {
  std::string source;
  CalibrationOptions calibration;
  bool json = false;
  bool quiet = false;
};

int run_calibrate(const CalibrateCommandOptions& options) {
  const CalibrationOptions& c = options.calibration;
  if (c.text_file.empty() == c.ids_file.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument, "calibrate needs one of --text FILE or --ids-file FILE"));
  }
  Status out = check_side_output(c.save_file, "-o");
  if (!out.ok()) return report_error(out.error());
  auto model = load_checkpoint(options.source);
  if (!model.ok()) return report_error(model.error());
  auto sequences = read_calibration_sequences(options.source, c);
  if (!sequences.ok()) return report_error(sequences.error());
  auto imatrix = collect_imatrix(*model, *sequences, c.context);
  if (!imatrix.ok()) return report_error(imatrix.error());
  Status saved = save_imatrix(*imatrix, c.save_file);
  if (!saved.ok()) return report_error(saved.error());
  if (options.json) {
    nlohmann::ordered_json j;
    j["out"] = c.save_file;
    j["sequences"] = imatrix->sequences;
    j["tokens"] = imatrix->tokens;
    j["tensors"] = imatrix->entries.size();
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!options.quiet) {
    std::printf("wrote %s: statistics of %zu linear weights over %lld sequences, %lld tokens (use: convert --imatrix %s)\n",
                c.save_file.c_str(), imatrix->entries.size(), static_cast<long long>(imatrix->sequences),
                static_cast<long long>(imatrix->tokens), c.save_file.c_str());
  }
  return kExitOk;
}

void setup_calibrate(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<CalibrateCommandOptions>();
  CalibrationOptions& c = options->calibration;
  CLI::App* sub = app.add_subcommand(
      "calibrate", "Run the float model over calibration text and save its importance matrix (for convert --imatrix)");
  sub->add_option("source", options->source, "Checkpoint directory")->required();
  auto* text = sub->add_option("--text", c.text_file, "Calibration text, one sequence a line (the checkpoint's tokenizer)");
  auto* ids = sub->add_option("--ids-file", c.ids_file, "Calibration ids, one sequence a line, comma-separated");
  text->excludes(ids);
  sub->add_option("-o,--out", c.save_file, "Write the statistics here (docs/formats/imatrix.md)")->required();
  sub->add_option("--context", c.context, "Longer sequences run as windows of N tokens (512)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  sub->add_flag("--json", options->json, "Print {out, sequences, tokens, tensors} on stdout");
  sub->add_flag("--quiet", options->quiet, "Print nothing on success");
  sub->callback([options, run] { *run = [options] { return run_calibrate(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(calibrate, setup_calibrate);

}  // namespace hfb::cli
