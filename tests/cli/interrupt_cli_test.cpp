// Interrupted converts leave no debris (issue 17, item 3): SIGINT / SIGTERM during a convert remove OUT.tmp-*, and
// the next convert to OUT removes temp directories whose writer died without cleaning up (SIGKILL).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/cli/cli_capture.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

/// Entries of `dir` whose name starts with `prefix`.
std::vector<std::string> entries_with_prefix(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& name : testing::list_dir(dir)) {
    if (name.rfind(prefix, 0) == 0) out.push_back(name);
  }
  return out;
}

/// Starts `hfbundle convert SOURCE -o out` slowed down by the test-only delay; returns its pid. Its stderr goes
/// to `err` ("" = /dev/null).
pid_t start_slow_convert(const std::string& out, const std::string& source = kSample, const std::string& err = "") {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("HFB_TEST_CONVERT_DELAY_MS", "20", 1);
    const int null_fd = ::open("/dev/null", O_WRONLY);
    const int err_fd = err.empty() ? null_fd : ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execl(HFB_CLI_PATH, HFB_CLI_PATH, "convert", source.c_str(), "-o", out.c_str(), "--quant", "q8_0",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

void expect_signal_leaves_nothing(int signal_number) {
  ScratchDir scratch;
  const std::string out = scratch / "out.hfb";
  const pid_t pid = start_slow_convert(out);
  ASSERT_GT(pid, 0);
  // Wait until the convert is writing: its temp directory holds a data file.
  bool writing = false;
  for (int i = 0; i < 600 && !writing; ++i) {
    for (const std::string& tmp : entries_with_prefix(scratch.path(), "out.hfb.tmp-")) {
      for (const std::string& f : testing::list_dir(scratch / tmp)) writing |= f.find(".bin") != std::string::npos;
    }
    if (!writing) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(writing) << "the convert never started writing";
  ASSERT_EQ(::kill(pid, signal_number), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == signal_number) << "status " << status;
  EXPECT_TRUE(entries_with_prefix(scratch.path(), "out.hfb").empty())
      << "left behind: " << entries_with_prefix(scratch.path(), "out.hfb").front();
}

TEST(InterruptCli, SigintDuringConvertLeavesNothing) { expect_signal_leaves_nothing(SIGINT); }

TEST(InterruptCli, SigtermDuringConvertLeavesNothing) { expect_signal_leaves_nothing(SIGTERM); }

/// F7: the source shard truncated while convert maps it. The SIGBUS guard (core/mapped_guard.h) turns the fault
/// into an error naming the file; convert exits 2 (bad input, README "Exit codes") with one stderr line and
/// leaves neither OUT nor its temp directory.
TEST(InterruptCli, ShardTruncatedDuringConvertIsAnErrorAndLeavesNothing) {
  ScratchDir scratch;
  const std::string source = scratch / "checkpoint";
  fs::create_directory(source);
  fs::copy(kSample, source, fs::copy_options::recursive);
  const std::string shard = source + "/model.safetensors";
  const std::string out = scratch / "out.hfb";
  const std::string err = scratch / "convert.err";
  const pid_t pid = start_slow_convert(out, source, err);
  ASSERT_GT(pid, 0);
  bool started = false;  // the temp directory exists: the shard is mapped, tensors are being read
  for (int i = 0; i < 600 && !started; ++i) {
    started = !entries_with_prefix(scratch.path(), "out.hfb.tmp-").empty();
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(started) << "the convert never started";
  fs::resize_file(shard, 4096);  // the header survives, every tensor's bytes are gone
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  const std::string message = testing::slurp(err);
  EXPECT_EQ(WEXITSTATUS(status), 2) << message;
  EXPECT_NE(message.find("model.safetensors"), std::string::npos) << message;
  EXPECT_NE(message.find("changed while being read"), std::string::npos) << message;
  EXPECT_EQ(testing::count_lines(message), 1u) << message;
  EXPECT_TRUE(entries_with_prefix(scratch.path(), "out.hfb").empty())
      << "left behind: " << entries_with_prefix(scratch.path(), "out.hfb").front();
}

/// The pid of a process that has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

TEST(InterruptCli, TheNextConvertRemovesTempDirsOfDeadProcessesOnly) {
  ScratchDir scratch;
  const std::string out = scratch / "out.hfb";
  const pid_t dead = dead_pid();
  fs::create_directory(out + ".tmp-AbC123");  // pid recorded inside
  std::ofstream(out + ".tmp-AbC123/.hfb-owner-pid") << dead << "\n";
  std::ofstream(out + ".tmp-AbC123/chunk_00.bin") << "partial";
  const std::string named = out + ".tmp-" + std::to_string(dead) + "-XyZ789";  // pid recorded in the name
  fs::create_directory(named);
  fs::create_directory(out + ".tmp-live01");  // a writer still running (this test process)
  std::ofstream(out + ".tmp-live01/.hfb-owner-pid") << ::getpid() << "\n";
  fs::create_directory(out + ".tmp-unknown");  // no pid recorded: not ours to judge

  auto r = testing::run_cli_capture("convert " + kSample + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(out + ".tmp-AbC123"));
  EXPECT_FALSE(fs::exists(named));
  EXPECT_TRUE(fs::exists(out + ".tmp-live01"));
  EXPECT_TRUE(fs::exists(out + ".tmp-unknown"));
  EXPECT_NE(r.err.find("out.hfb.tmp-AbC123, left by an earlier convert that was killed"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out + "/.hfb-owner-pid")) << "the owner file must not reach the bundle";
  EXPECT_EQ(testing::run_cli_capture("inspect " + out + " --check").exit_code, 0);
}

}  // namespace
}  // namespace hfb
