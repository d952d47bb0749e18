// The eval reference file: write + read back gives the same ids and logits; a corruption catalog, each case with
// its expected error code; an uncommitted writer leaves nothing behind.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "tests/writers/bundle_test_util.h"
#include "validators/eval_reference.h"

namespace hfb {
namespace {

using testing::ScratchDir;

EvalReferenceInfo sample_info() {
  EvalReferenceInfo info;
  info.model_fingerprint = 0x1234;
  info.vocab_size = 3;
  info.num_layers = 2;
  info.label = "ckpt";
  info.sequences = {{2, 1}, {0, 1, 2}};
  return info;
}

Matrix logits_for(size_t rows, float base) {
  Matrix m{static_cast<int64_t>(rows), 3, {}};
  for (size_t i = 0; i < rows * 3; ++i) m.data.push_back(base + static_cast<float>(i));
  return m;
}

std::string write_sample(const std::string& path) {
  auto writer = EvalReferenceWriter::create(path, sample_info());
  EXPECT_TRUE(writer.ok());
  EXPECT_TRUE((*writer)->append(logits_for(2, 0.0f)).ok());
  EXPECT_TRUE((*writer)->append(logits_for(3, 10.0f)).ok());
  EXPECT_TRUE((*writer)->commit().ok());
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(EvalReference, RoundTrip) {
  ScratchDir dir;
  write_sample(dir / "ref.bin");
  auto file = EvalReferenceFile::open(dir / "ref.bin");
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  EXPECT_EQ(file->info().model_fingerprint, 0x1234u);
  EXPECT_EQ(file->info().vocab_size, 3);
  EXPECT_EQ(file->info().num_layers, 2);
  EXPECT_EQ(file->info().label, "ckpt");
  EXPECT_EQ(file->info().sequences, sample_info().sequences);
  auto second = file->logits(1);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->data, logits_for(3, 10.0f).data);
}

TEST(EvalReference, WriterChecksShapesAndCleansUp) {
  ScratchDir dir;
  {
    auto writer = EvalReferenceWriter::create(dir / "ref.bin", sample_info());
    ASSERT_TRUE(writer.ok());
    EXPECT_EQ((*writer)->append(logits_for(3, 0.0f)).error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ((*writer)->commit().error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_TRUE(testing::list_dir(dir.path()).empty());
}

struct Corruption {
  const char* name;
  std::function<void(std::string*)> apply;
  ErrorCode code;
};

template <typename T>
void poke(std::string* bytes, size_t offset, T value) {
  std::memcpy(bytes->data() + offset, &value, sizeof(value));
}

TEST(EvalReference, CorruptionCatalog) {
  ScratchDir dir;
  const std::string good = write_sample(dir / "good.bin");
  const std::vector<Corruption> catalog = {
      {"empty", [](std::string* b) { b->clear(); }, ErrorCode::kInvalidFile},
      {"short header", [](std::string* b) { b->resize(40); }, ErrorCode::kInvalidFile},
      {"bad magic", [](std::string* b) { (*b)[0] = 'X'; }, ErrorCode::kInvalidFile},
      {"future version", [](std::string* b) { poke<uint32_t>(b, 8, 2); }, ErrorCode::kUnsupported},
      {"header length", [](std::string* b) { poke<uint32_t>(b, 12, 72); }, ErrorCode::kInvalidFile},
      {"vocab zero", [](std::string* b) { poke<int64_t>(b, 24, 0); }, ErrorCode::kInvalidFile},
      {"vocab huge", [](std::string* b) { poke<int64_t>(b, 24, int64_t{1} << 40); }, ErrorCode::kInvalidFile},
      {"no sequences", [](std::string* b) { poke<uint64_t>(b, 40, 0); }, ErrorCode::kInvalidFile},
      {"sequence count huge", [](std::string* b) { poke<uint64_t>(b, 40, uint64_t{1} << 60); }, ErrorCode::kInvalidFile},
      {"label huge", [](std::string* b) { poke<uint64_t>(b, 48, uint64_t{1} << 40); }, ErrorCode::kInvalidFile},
      {"length zero", [](std::string* b) { poke<uint64_t>(b, 68, 0); }, ErrorCode::kInvalidFile},
      {"length huge", [](std::string* b) { poke<uint64_t>(b, 68, uint64_t{1} << 62); }, ErrorCode::kInvalidFile},
      {"truncated logits", [](std::string* b) { b->resize(b->size() - 4); }, ErrorCode::kInvalidFile},
      {"trailing bytes", [](std::string* b) { b->push_back('\0'); }, ErrorCode::kInvalidFile},
      {"flipped logit", [](std::string* b) { b->back() ^= 1; }, ErrorCode::kInvalidFile},
      {"checksum", [](std::string* b) { poke<uint64_t>(b, 56, 7); }, ErrorCode::kInvalidFile},
  };
  for (const Corruption& c : catalog) {
    std::string bytes = good;
    c.apply(&bytes);
    const std::string path = dir / "bad.bin";
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    auto file = EvalReferenceFile::open(path);
    ASSERT_FALSE(file.ok()) << c.name;
    EXPECT_EQ(file.error().code, c.code) << c.name << ": " << file.error().to_string();
    EXPECT_NE(file.error().to_string().find("bad.bin"), std::string::npos) << c.name;
  }
}

TEST(EvalReference, IdOutsideVocabularyWithValidChecksum) {
  ScratchDir dir;
  EvalReferenceInfo info = sample_info();
  info.sequences[0][0] = 3;  // vocab is 3: the writer does not judge ids, the reader does
  auto writer = EvalReferenceWriter::create(dir / "ref.bin", info);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->append(logits_for(2, 0.0f)).ok());
  ASSERT_TRUE((*writer)->append(logits_for(3, 0.0f)).ok());
  ASSERT_TRUE((*writer)->commit().ok());
  auto file = EvalReferenceFile::open(dir / "ref.bin");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, ErrorCode::kInvalidFile);
  EXPECT_NE(file.error().message.find("id 3"), std::string::npos) << file.error().message;
}

}  // namespace
}  // namespace hfb
