// `hfbundle inspect PATH [--json]`: load a checkpoint and print what it holds (roles, layers, bytes, unused).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "readers/model_reader.h"
#include "readers/model_summary.h"

namespace hfb::cli {
namespace {

struct InspectOptions {
  std::string path;
  std::string config_path;
  bool json = false;
};

int run_inspect(const InspectOptions& options) {
  CheckpointLoadOptions load;
  load.config_path = options.config_path;
  Result<Model> model = load_checkpoint(options.path, load);
  if (!model.ok()) return report_error(model.error());
  const std::string out = options.json ? model_summary_json(*model) + "\n" : model_summary_text(*model);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

void setup_inspect(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show a checkpoint's architecture, layers, tensors and roles");
  cmd->add_option("path", options->path, "Checkpoint directory (config.json + *.safetensors)")->required();
  cmd->add_flag("--json", options->json, "Print one JSON object instead of the report");
  cmd->add_option("--config", options->config_path, "Config file to use instead of PATH/config.json");
  cmd->callback([run, options] { *run = [options] { return run_inspect(*options); }; });
}

}  // namespace
}  // namespace hfb::cli

HFB_REGISTER_COMMAND(inspect, hfb::cli::setup_inspect);
