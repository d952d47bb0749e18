// Streamed convert on 1 and 2 threads: the same bundle bytes and the same error figures, fused or not.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/byte_source.h"
#include "core/dtype.h"
#include "pipeline/convert_stream.h"
#include "tests/writers/bundle_test_util.h"
#include "writers/bundle_writer.h"

namespace hfb {
namespace {

using testing::ScratchDir;

/// A bf16 [rows, cols] tensor of normal values whose magnitude varies by row, over more than one block.
TensorInfo bf16_tensor(const std::string& name, int64_t rows, int64_t cols) {
  std::vector<uint8_t> bytes(static_cast<size_t>(rows * cols * 2));
  std::mt19937 rng(21);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (size_t i = 0; i < bytes.size(); i += 2) {
    const uint16_t b = f32_to_bf16(normal(rng) * static_cast<float>(1 + (i / 2 / cols) % 5));
    std::memcpy(&bytes[i], &b, 2);
  }
  TensorInfo info;
  info.name = name;
  info.dtype = DTypeId::kBF16;
  info.shape = Shape({rows, cols});
  info.role = Role::kMlpUp;
  info.num_bytes = bytes.size();
  info.source = std::make_shared<MemorySource>(std::move(bytes));
  return info;
}

struct Streamed {
  std::vector<QuantMetrics> metrics;
  std::vector<std::string> files;
  std::vector<std::string> bytes;
};

/// Streams every tensor with every decision into a new bundle at `out` with `threads` threads.
Streamed stream_all(const std::string& out, const std::vector<TensorInfo>& tensors,
                    const std::vector<TensorDecision>& decisions, int threads) {
  Streamed result;
  auto writer = BundleWriter::create(out);
  EXPECT_TRUE(writer.ok());
  if (!writer.ok()) return result;
  EXPECT_TRUE((*writer)->add_file("chunk_00.bin", BundleFileKind::kChunk).ok());
  for (const TensorInfo& t : tensors) {
    for (size_t d = 0; d < decisions.size(); ++d) {
      TensorDecision decision = decisions[d];
      decision.params.num_threads = threads;
      TensorInfo named = t;
      named.name = t.name + "." + std::to_string(d);
      EXPECT_LT(convert_block_rows(named, decision), 4100);  // more than one streamed block
      auto streamed = stream_tensor(named, decision, TensorTarget{writer->get(), "chunk_00.bin", "", nullptr});
      EXPECT_TRUE(streamed.ok()) << (streamed.ok() ? "" : streamed.error().to_string());
      if (streamed.ok() && streamed->coverage.metrics) result.metrics.push_back(*streamed->coverage.metrics);
    }
  }
  EXPECT_TRUE((*writer)->finish().ok());
  result.files = testing::list_dir(out);
  for (const std::string& f : result.files) result.bytes.push_back(testing::read_all(out + "/" + f));
  return result;
}

TEST(ConvertStreamThreads, OneAndTwoThreadsWriteIdenticalBundlesAndFigures) {
  QuantParams block64;
  block64.block_size = 64;
  const std::vector<TensorDecision> decisions = {{Scheme::kQ4_0, {}, "fused q4_0", false},
                                                 {Scheme::kInt8, {}, "fused int8 per row", false},
                                                 {Scheme::kInt8, block64, "unfused int8", false},
                                                 {Scheme::kQ8_0, {}, "unfused q8_0", false}};
  const std::vector<TensorInfo> tensors = {bf16_tensor("w", 4100, 1536)};
  ScratchDir dir;
  const Streamed one = stream_all(dir / "one.hfb", tensors, decisions, 1);
  const Streamed two = stream_all(dir / "two.hfb", tensors, decisions, 2);
  ASSERT_EQ(one.metrics.size(), decisions.size());
  ASSERT_EQ(two.metrics.size(), decisions.size());
  for (size_t i = 0; i < decisions.size(); ++i) {
    EXPECT_EQ(one.metrics[i].sse, two.metrics[i].sse) << decisions[i].reason;
    EXPECT_EQ(one.metrics[i].signal, two.metrics[i].signal) << decisions[i].reason;
    EXPECT_EQ(one.metrics[i].max_abs_error, two.metrics[i].max_abs_error) << decisions[i].reason;
    EXPECT_EQ(one.metrics[i].num_weights, 4100 * 1536) << decisions[i].reason;
    EXPECT_GT(one.metrics[i].sse, 0.0) << decisions[i].reason;
  }
  ASSERT_EQ(one.files, two.files);
  ASSERT_FALSE(one.files.empty());
  for (size_t f = 0; f < one.files.size(); ++f) EXPECT_TRUE(one.bytes[f] == two.bytes[f]) << one.files[f] << " differs";
}

}  // namespace
}  // namespace hfb
