// Runs the hfbundle binary (HFB_CLI_PATH) from CLI tests: exit code and stdout.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace hfb::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  ///< stdout (stderr goes to the test log)
};

inline CliResult run_cli(const std::string& args) {
  CliResult r;
  const std::string command = std::string(HFB_CLI_PATH) + " " + args;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) r.out.append(buffer, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace hfb::testing
