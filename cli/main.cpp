// hfbundle entry point: builds the CLI11 app from the registered subcommands and maps errors to exit codes.
#include <cstdio>
#include <iostream>

#include "cli/command.h"

namespace hfb::cli {

std::vector<std::pair<std::string, CommandSetup>>& command_registry() {
  static std::vector<std::pair<std::string, CommandSetup>> registry;
  return registry;
}

CommandRegistration::CommandRegistration(const char* name, CommandSetup setup) {
  command_registry().emplace_back(name, std::move(setup));
}

int report_error(const Error& error) {
  std::fprintf(stderr, "hfbundle: %s\n", error.to_string().c_str());
  if (error.code == ErrorCode::kInternal) {
    std::fprintf(stderr, "hfbundle: this is a bug in hfbundle; please report it with the command line\n");
  }
  return kExitBadInput;
}

}  // namespace hfb::cli

int main(int argc, char** argv) {
  CLI::App app{"hfbundle: Gemma 4 checkpoints -> quantized, chunked, verified on-device bundles"};
  app.require_subcommand(1);
  std::function<int()> run;
  for (auto& [name, setup] : hfb::cli::command_registry()) setup(app, &run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return hfb::cli::kExitBadInput;  // CLI11's own codes all mean bad usage
  }
  if (!run) return hfb::cli::kExitBadInput;
  return run();
}
