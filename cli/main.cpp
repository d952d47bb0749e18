// hfbundle entry point: builds the CLI11 app from the registered subcommands and maps errors to exit codes.
#include <cstdio>
#include <iostream>
#include <new>

#include "cli/command.h"
#include "core/limits.h"
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
  const char* hint = error.code == ErrorCode::kInternal ? " (a bug in hfbundle; please report it with the command line)" : "";
  std::fprintf(stderr, "hfbundle: %s%s\n", error.to_string().c_str(), hint);
  return exit_code_for(error.code);
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
  app.fallthrough();  // --limit may follow the subcommand
  std::vector<std::string> limit_items;
  app.add_option("--limit", limit_items,
                 "NAME=VALUE: raise one input limit (docs/limits.md; names: layers, heads, dim, vocab, window, "
                 "positions, header_bytes, tensors, config_bytes, file_bytes, compression_ratio, prompts, "
                 "prompt_file_bytes)");
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
  hfb::Limits limits = hfb::limits();
  for (const std::string& item : limit_items) {
    hfb::Status applied = hfb::apply_limit_override(item, &limits);
    if (!applied.ok()) return hfb::cli::report_error(applied.error());
  }
  hfb::set_limits(limits);
  std::string operation = "running 'hfbundle";
  for (const CLI::App* sub : app.get_subcommands()) operation += " " + sub->get_name();
  operation += "'";
  try {
    return run();
  } catch (const std::bad_alloc&) {
    return hfb::cli::report_error(hfb::cli::out_of_memory_error(operation));
  }
}
