// The exit-code table (README, docs/limits.md): 0 ok, 1 a check failed, 2 bad input or usage, 3 an OS
// failure (ENOSPC), out of memory or an internal error. The NoSanitizer tests need a real address-space limit
// or a tmpfs mount and run in the plain build only.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/cli/hostile_inputs.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

TEST(ExitCodes, OkBadInputAndUsage) {
  testing::ScratchDir scratch;
  EXPECT_EQ(testing::run_bounded("inspect " + kSample, 60, 0).exit_code, 0);
  auto missing = testing::run_bounded("inspect " + scratch / "absent", 60, 0);
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  auto usage = testing::run_bounded("run " + kSample + " --prompt-ids 2 -n 1 --limit layers=zero", 60, 0);
  EXPECT_EQ(usage.exit_code, 2) << usage.err;
  EXPECT_NE(usage.err.find("--limit layers"), std::string::npos) << usage.err;
  auto limit = testing::run_bounded("--limit layers=2 inspect " + kSample, 60, 0);  // the sample has 4 layers
  EXPECT_EQ(limit.exit_code, 2) << limit.err;
  EXPECT_NE(limit.err.find("limit of 2"), std::string::npos) << limit.err;
  EXPECT_EQ(testing::run_bounded("--limit layers=8 inspect " + kSample, 60, 0).exit_code, 0);
}

TEST(ExitCodes, OutOfMemoryIsThreeNamingTheOperationNoSanitizer) {
  // --limit lifts the prompt cap; reserving 2e9 prompts then fails to allocate: bad_alloc reaches main().
  auto r = testing::run_bounded("verify " + kSample + " --against " + kSample +
                                    " --limit prompts=2000000000 --random-prompts 2000000000 --steps 1",
                                60, 2L * 1024 * 1024);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("out of memory while running 'hfbundle verify'"), std::string::npos) << r.err;
}

TEST(ExitCodes, DiskFullIsThreeNoSanitizer) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs (the disk-full case)";
  testing::ScratchDir scratch;
  const std::string mnt = scratch / "full";
  std::filesystem::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=256k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (container without CAP_SYS_ADMIN?): " << std::strerror(errno);
  }
  auto r = testing::run_bounded("convert " + kSample + " -o " + mnt + "/x.hfb --quiet", 60, 0);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_TRUE(testing::list_dir(mnt).empty()) << "nothing left behind";
  ::umount2(mnt.c_str(), MNT_DETACH);
}

}  // namespace
}  // namespace hfb
