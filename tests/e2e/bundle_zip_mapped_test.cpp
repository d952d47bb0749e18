// Stored zip bundles are mapped in place (issue #16): the writer puts every entry's data on a 64-byte boundary, the
// reader views each entry as a window of the one mapped zip (no copy, no "held in memory" load note), the CRC-32 is
// still checked, and what runs from the zip is what runs from the directory bundle (parity against the goldens
// for every fixture and variant is tests/e2e/bundle_verify_test.cpp).
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "formats/bundle.pb.h"
#include "pipeline/bundle_session.h"
#include "pipeline/convert.h"
#include "readers/bundle/bundle_reader.h"
#include "tests/cli/hostile_inputs.h"
#include "tests/writers/bundle_test_util.h"
#include "validators/parity_greedy.h"

namespace hfb {
namespace {

using testing::ScratchDir;

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

std::string convert_sample(const ScratchDir& scratch, const std::string& name, bool zip) {
  ConvertOptions options;
  options.source = kSample;
  options.out = scratch / name;
  options.zip = zip;
  options.quant.global = Scheme::kQ4_0;
  auto converted = convert_checkpoint(options);
  EXPECT_TRUE(converted.ok()) << converted.error().to_string();
  return options.out;
}

const uint8_t* data_of(const Bundle& bundle, const std::string& file) {
  auto source = bundle.file(file);
  EXPECT_TRUE(source.ok());
  if (!source.ok() || (*source)->size() == 0) return nullptr;
  auto span = (*source)->read(0, 1);
  EXPECT_TRUE(span.ok());
  return span.ok() ? span->data : nullptr;
}

TEST(BundleZipMapped, EntriesAreAlignedWindowsOfTheMappedZip) {
  ScratchDir scratch;
  const std::string zip = convert_sample(scratch, "q4.hfb.zip", true);
  const std::string bytes = testing::slurp(zip);
  BundleReadOptions options;
  options.check = BundleCheck::kChecksums;
  auto bundle = Bundle::open(zip, options);
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  EXPECT_TRUE((*bundle)->files_mapped());
  const std::string first = (*bundle)->manifest().files(0).name();
  const size_t first_at = testing::zip_entry_data_offset(bytes, first);
  ASSERT_NE(first_at, std::string::npos);
  const uint8_t* first_data = data_of(**bundle, first);
  ASSERT_NE(first_data, nullptr);
  for (const bundle::File& f : (*bundle)->manifest().files()) {
    const size_t at = testing::zip_entry_data_offset(bytes, f.name());
    ASSERT_NE(at, std::string::npos) << f.name();
    EXPECT_EQ(at % 64, 0u) << f.name() << ": entry data not aligned";
    // Same mapping: the distance between two entries' bytes in memory is their distance in the zip file.
    EXPECT_EQ(data_of(**bundle, f.name()) - first_data, static_cast<std::ptrdiff_t>(at) - static_cast<std::ptrdiff_t>(first_at))
        << f.name();
    EXPECT_EQ((*bundle)->file(f.name()).value()->path(), zip + ":" + f.name());
  }
}

TEST(BundleZipMapped, ARunHoldsNothingInMemoryAndGeneratesLikeTheDirectory) {
  ScratchDir scratch;
  const std::string zip = convert_sample(scratch, "q4.hfb.zip", true);
  const std::string dir = convert_sample(scratch, "q4.hfb", false);
  std::vector<std::vector<int64_t>> generated;
  for (const std::string& path : {zip, dir}) {
    auto session = open_bundle_session(path, BundleReadOptions{BundleCheck::kChecksums, {}});
    ASSERT_TRUE(session.ok()) << session.error().to_string();
    EXPECT_EQ(session->load_note, "") << path;  // was "zip: entries read into memory at load"
    GreedyOptions greedy;
    greedy.max_new_tokens = 6;
    auto run = run_greedy(*session->session, {2, 17, 5}, nullptr, nullptr, greedy);
    ASSERT_TRUE(run.ok()) << run.error().to_string();
    generated.push_back(run->generated);
  }
  EXPECT_EQ(generated[0], generated[1]);
}

TEST(BundleZipMapped, AFlippedByteInAMappedEntryFailsItsCrc) {
  ScratchDir scratch;
  const std::string zip = convert_sample(scratch, "q4.hfb.zip", true);
  const size_t at = testing::zip_entry_data_offset(testing::slurp(zip), "chunk_01.bin");
  ASSERT_NE(at, std::string::npos);
  testing::flip_byte(zip, at + 200);
  auto bundle = Bundle::open(zip);  // structure only: the CRC-32 is still checked
  ASSERT_FALSE(bundle.ok());
  EXPECT_EQ(bundle.error().code, ErrorCode::kCheckFailed);
  EXPECT_NE(bundle.error().message.find("CRC-32"), std::string::npos) << bundle.error().to_string();
}

}  // namespace
}  // namespace hfb
