// Runs the hfbundle binary (HFB_CLI_PATH) with stdout and stderr captured separately, for the CLI tests that check
// which stream a message goes to and how many lines an error takes.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace hfb::testing {

struct CliCapture {
  int exit_code = -1;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// `args` is passed to sh as it is (quote paths with spaces yourself); `env` is prefixed ("VAR=1 ").
inline CliCapture run_cli_capture(const std::string& args, const std::string& env = "") {
  char tmpl[] = "/tmp/hfb_cli_capture_XXXXXX";
  const int fd = ::mkstemp(tmpl);
  if (fd >= 0) ::close(fd);
  const std::string out_path = std::string(tmpl) + ".out";
  const std::string err_path = std::string(tmpl) + ".err";
  const std::string command =
      env + std::string(HFB_CLI_PATH) + " " + args + " > " + out_path + " 2> " + err_path + " < /dev/null";
  const int status = std::system(command.c_str());
  CliCapture r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  std::remove(tmpl);
  return r;
}

inline size_t count_lines(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  if (!text.empty() && text.back() != '\n') ++n;
  return n;
}

}  // namespace hfb::testing
