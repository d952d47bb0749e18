// A safetensors file whose data section starts at an odd offset (legal: the header length need not be a multiple
// of 8, so every tensor is misaligned for 2- and 4-byte loads) runs and verifies exactly like the aligned file:
// the weights the runtime computes on straight from the mapping are copied to aligned memory when they are not
// aligned (runtime/mapped_weight_store.h), never read with misaligned loads.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/cli/cli_capture.h"

namespace hfb {
namespace {

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

/// run --json without its timings (which differ from run to run).
nlohmann::json without_timings(const std::string& out) {
  nlohmann::json j = nlohmann::json::parse(out);
  j.erase("timings");
  return j;
}

/// A copy of the sample checkpoint whose header is padded with spaces so that the data section starts at
/// 8 + N = `residue` (mod 8); the tensors' relative data_offsets are unchanged.
std::string shifted_checkpoint(const std::string& dir, uint64_t residue) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& entry : std::filesystem::directory_iterator(kSample)) {
    if (entry.path().filename() != "model.safetensors") std::filesystem::copy(entry.path(), dir + "/" + entry.path().filename().string());
  }
  const std::string bytes = testing::slurp(kSample + "/model.safetensors");
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  std::string header = bytes.substr(8, n);
  while ((8 + header.size()) % 8 != residue) header += ' ';
  const uint64_t padded = header.size();
  std::string out(8, '\0');
  std::memcpy(&out[0], &padded, 8);
  out += header;
  out.append(bytes, 8 + n, std::string::npos);
  std::ofstream(dir + "/model.safetensors", std::ios::binary) << out;
  return dir;
}

TEST(UnalignedSafetensorsCli, RunAndVerifyGiveTheSameLogitsAsTheAlignedFile) {
  const std::string root = std::filesystem::temp_directory_path() / ("hfb_unaligned_" + std::to_string(::getpid()));
  const std::string run_args = " --prompt-ids 2,17,5 -n 4 --json";
  const auto aligned = testing::run_cli_capture("run " + kSample + run_args);
  ASSERT_EQ(aligned.exit_code, 0) << aligned.err;
  ASSERT_NE(aligned.out.find("top1_logit"), std::string::npos) << aligned.out;
  for (uint64_t residue : {uint64_t{1}, uint64_t{2}, uint64_t{3}, uint64_t{6}}) {
    SCOPED_TRACE("data section at 8 + N = " + std::to_string(residue) + " (mod 8)");
    const std::string ck = shifted_checkpoint(root + "/ck" + std::to_string(residue), residue);
    const auto ran = testing::run_cli_capture("run " + ck + run_args);
    ASSERT_EQ(ran.exit_code, 0) << ran.err;
    EXPECT_EQ(without_timings(ran.out), without_timings(aligned.out)) << "the same tokens and logits, bit for bit";
    const auto verified = testing::run_cli_capture("verify " + ck + " --against " + kSample + " --margin 0 --logit-tolerance 0");
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    const auto golden = testing::run_cli_capture("verify " + ck + " --golden " + kSample);
    EXPECT_EQ(golden.exit_code, 0) << golden.out << golden.err;
  }
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace hfb
