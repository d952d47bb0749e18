// Subcommand registry: each cli/<name>_command.cpp registers one subcommand with HFB_REGISTER_COMMAND.
// A command fills an options struct from CLI11, makes one library call and returns an exit code:
// the exit codes of cli/exit_codes.h (0 ok, 1 check failed, 2 bad input or usage, 3 system failure).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "core/error.h"

namespace hfb::cli {

/// Adds the subcommand to `app`; sets *run to the function main calls if the subcommand was chosen.
using CommandSetup = std::function<void(CLI::App& app, std::function<int()>* run)>;

struct CommandRegistration {
  CommandRegistration(const char* name, CommandSetup setup);
};

std::vector<std::pair<std::string, CommandSetup>>& command_registry();

/// Records argv as one shell-quoted line (main calls it first); invocation() returns it (for provenance).
void set_invocation(int argc, char** argv);
const std::string& invocation();

/// Prints `hfbundle: <error>` as one line on stderr and returns exit_code_for(error.code).
int report_error(const Error& error);

}  // namespace hfb::cli

#define HFB_REGISTER_COMMAND(name, setup) \
  static ::hfb::cli::CommandRegistration hfb_command_registration_##name(#name, setup)
