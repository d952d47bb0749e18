// hfbundle entry point: builds the CLI11 app from the registered subcommands and maps errors to exit codes.
#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "core/version.h"

namespace hfb::cli {

std::vector<std::pair<std::string, CommandSetup>>& command_registry() {
  static std::vector<std::pair<std::string, CommandSetup>> registry;
  return registry;
}

CommandRegistration::CommandRegistration(const char* name, CommandSetup setup) {
  command_registry().emplace_back(name, std::move(setup));
}

namespace {
std::string g_invocation;
}  // namespace

void set_invocation(int argc, char** argv) {
  g_invocation.clear();
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                             "0123456789_-+=./,:@%") == std::string::npos;
    std::string quoted = arg;
    if (!plain) {
      quoted = "'";
      for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      quoted += "'";
    }
    g_invocation += (i ? " " : "") + quoted;
  }
}

const std::string& invocation() { return g_invocation; }

int report_error(const Error& error) {
  std::fprintf(stderr, "hfbundle: %s\n", error.to_string().c_str());
  if (error.code == ErrorCode::kInternal) {
    std::fprintf(stderr, "hfbundle: this is a bug in hfbundle; please report it with the command line\n");
  }
  return kExitBadInput;
}

}  // namespace hfb::cli

namespace {

/// The subcommand the user named (for the usage hint), or "" before one was parsed.
std::string chosen_subcommand(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) return sub->get_name();
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  hfb::cli::set_invocation(argc, argv);
  CLI::App app{"hfbundle: Gemma 4 checkpoints -> quantized, chunked, verified on-device bundles"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("hfbundle ") + hfb::kHfbundleVersion);
  app.option_defaults()->always_capture_default();  // help shows each option's default (inherited by subcommands)
  std::function<int()> run;
  for (auto& [name, setup] : hfb::cli::command_registry()) setup(app, &run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line naming the problem (CLI11's own two-line message names no file or subcommand).
    const std::string sub = chosen_subcommand(app);
    std::fprintf(stderr, "hfbundle: %s (see hfbundle %s%s--help)\n", e.what(), sub.c_str(), sub.empty() ? "" : " ");
    return hfb::cli::kExitBadInput;  // CLI11's own codes all mean bad usage
  }
  if (!run) return hfb::cli::kExitBadInput;
  return run();
}
