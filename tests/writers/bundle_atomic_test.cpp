// Bundle writer atomicity: failures midway (injected write errors, a vanished source, misuse) leave no OUT
// and no temp debris; an existing OUT is refused without force and replaced whole with it.
#include <gtest/gtest.h>

#include "readers/bundle/bundle_reader.h"
#include "tests/writers/bundle_test_util.h"
#include "writers/bundle_writer.h"

namespace hfb {
namespace {

using testing::ScratchDir;

/// A sink for `path` that fails like a full disk once `budget` bytes have been written (shared by all files).
class FailingSink final : public WriteSink {
 public:
  FailingSink(std::unique_ptr<WriteSink> inner, std::string path, std::shared_ptr<int64_t> budget)
      : inner_(std::move(inner)), path_(std::move(path)), budget_(std::move(budget)) {}
  Status write(const uint8_t* data, uint64_t size) override {
    if (static_cast<int64_t>(size) > *budget_) {
      return Error(ErrorCode::kIo, "write failed: No space left on device (injected)").with_path(path_);
    }
    *budget_ -= static_cast<int64_t>(size);
    return inner_->write(data, size);
  }
  Status close() override { return inner_->close(); }

 private:
  std::unique_ptr<WriteSink> inner_;
  std::string path_;
  std::shared_ptr<int64_t> budget_;
};

SinkFactory failing_after(int64_t bytes, std::string fail_open_suffix = "") {
  auto budget = std::make_shared<int64_t>(bytes);
  return [budget, fail_open_suffix](const std::string& path) -> Result<std::unique_ptr<WriteSink>> {
    if (!fail_open_suffix.empty() && path.size() >= fail_open_suffix.size() &&
        path.compare(path.size() - fail_open_suffix.size(), fail_open_suffix.size(), fail_open_suffix) == 0) {
      return Error(ErrorCode::kIo, "cannot create: Read-only file system (injected)").with_path(path);
    }
    HFB_TRY(auto inner, open_file_sink(path));
    return std::unique_ptr<WriteSink>(new FailingSink(std::move(inner), path, budget));
  };
}

// Writes two 4 KiB tensors into two chunk files; returns the first failure.
Result<std::string> write_two_chunks(const std::string& out, BundleWriterOptions options) {
  HFB_TRY(auto writer, BundleWriter::create(out, std::move(options)));
  std::vector<uint8_t> bytes(4096, 0x5a);
  for (int i = 0; i < 2; ++i) {
    const std::string file = "chunk_0" + std::to_string(i) + ".bin";
    HFB_TRY(writer->add_file(file, BundleFileKind::kChunk));
    BundleTensorMeta meta;
    meta.name = "t" + std::to_string(i);
    meta.dtype = DTypeId::kF32;
    meta.shape = Shape{32, 32};
    HFB_TRY(writer->write_tensor(meta, file, ByteSpan{bytes.data(), bytes.size()}));
    HFB_TRY(writer->close_file(file));
  }
  return writer->finish();
}

struct FailureCase {
  const char* name;
  int64_t budget;
  const char* fail_open_suffix;
  int zstd_level;
  bool zip;
};

class BundleWriterFailure : public ::testing::TestWithParam<FailureCase> {};

TEST_P(BundleWriterFailure, LeavesNoOutputAndNoDebris) {
  ScratchDir dir;
  BundleWriterOptions options;
  options.sink_factory = failing_after(GetParam().budget, GetParam().fail_open_suffix);
  options.zstd_level = GetParam().zstd_level;
  options.zip = GetParam().zip;
  auto result = write_two_chunks(dir / "out.hfb", options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kIo);
  EXPECT_NE(result.error().path.find("out.hfb.tmp-"), std::string::npos) << "names the file: " << result.error().to_string();
  EXPECT_TRUE(testing::list_dir(dir.path()).empty()) << "debris: " << testing::list_dir(dir.path()).size();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BundleWriterFailure,
    ::testing::Values(FailureCase{"FirstChunkFull", 1000, "", 0, false},
                      FailureCase{"SecondChunkFull", 6000, "", 0, false},
                      FailureCase{"ManifestFull", 8192 + 64, "", 0, false},
                      FailureCase{"ManifestUncreatable", 1 << 30, "manifest.pb", 0, true},
                      FailureCase{"ZstdOutputFull", 5, "", 3, false},
                      FailureCase{"ZstdOutputUncreatable", 1 << 30, ".zst", 3, true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(BundleWriterAtomic, AbandonedWriterLeavesNoDebris) {
  ScratchDir dir;
  {
    auto writer = BundleWriter::create(dir / "out.hfb");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->add_file("chunk_00.bin", BundleFileKind::kChunk).ok());
    EXPECT_EQ(testing::list_dir(dir.path()).size(), 1u) << "the temp directory exists while writing";
  }
  EXPECT_TRUE(testing::list_dir(dir.path()).empty());
}

TEST(BundleWriterAtomic, MissingCopySourceFailsCleanly) {
  ScratchDir dir;
  auto writer = BundleWriter::create(dir / "out.hfb");
  ASSERT_TRUE(writer.ok());
  Status s = (*writer)->copy_file(dir / "no_such_config.json", "config.json");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_EQ(s.error().path, dir / "no_such_config.json");
  EXPECT_TRUE(testing::list_dir(dir.path()).empty());
}

TEST(BundleWriterAtomic, RefusesExistingOutputWithoutForce) {
  ScratchDir dir;
  ASSERT_TRUE(write_two_chunks(dir / "out.hfb", {}).ok());
  auto again = BundleWriter::create(dir / "out.hfb");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(again.error().message.find("--force"), std::string::npos);
}

TEST(BundleWriterAtomic, OutputAppearingDuringWriteIsNotClobbered) {
  ScratchDir dir;
  BundleWriterOptions zip_options;
  zip_options.zip = true;
  auto writer = BundleWriter::create(dir / "out.hfb.zip", zip_options);
  ASSERT_TRUE(writer.ok());
  testing::write_all(dir / "out.hfb.zip", "someone else's file");
  auto result = (*writer)->finish();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(testing::read_all(dir / "out.hfb.zip"), "someone else's file");
  EXPECT_EQ(testing::list_dir(dir.path()), (std::vector<std::string>{"out.hfb.zip"}));
}

TEST(BundleWriterAtomic, ForceReplacesDirectoryAndZipWhole) {
  ScratchDir dir;
  for (bool zip : {false, true}) {
    const std::string out = dir / (zip ? "out.zip" : "out.hfb");
    BundleWriterOptions options;
    options.zip = zip;
    ASSERT_TRUE(write_two_chunks(out, options).ok());
    if (!zip) testing::write_all(out + "/stale.bin", "old");
    options.force = true;
    options.producer = "second";
    auto result = write_two_chunks(out, options);
    ASSERT_TRUE(result.ok()) << result.error().to_string();
    auto bundle = Bundle::open(out);
    ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
    EXPECT_EQ((*bundle)->producer(), "second");
    if (!zip) {
      EXPECT_FALSE(path_exists(out + "/stale.bin")) << "old directory replaced whole";
    }
  }
  EXPECT_EQ(testing::list_dir(dir.path()), (std::vector<std::string>{"out.hfb", "out.zip"}));
}

}  // namespace
}  // namespace hfb
