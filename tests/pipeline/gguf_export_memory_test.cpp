// The GGUF export streams like the bundle path: a checkpoint whose token table and PLE table are 32 MiB each (bf16,
// 262144 rows) is exported to q4_0 (tables to q8_0) with an anonymous-memory peak well below one table in f32.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/process_memory.h"
#include "models/gemma4/gemma4_config.h"
#include "models/gemma4/gemma4_tensors.h"
#include "pipeline/gguf_export.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using testing::ScratchDir;

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";
constexpr int kVocab = 262144;

/// `sample`'s config with a 262144-row vocabulary, and a bf16 checkpoint of zeros for it.
void write_large_vocab_checkpoint(const std::string& dir) {
  std::ifstream in(kFixtures + "sample/config.json");
  nlohmann::json config = nlohmann::json::parse(in);
  config["vocab_size"] = kVocab;
  config["vocab_size_per_layer_input"] = kVocab;
  std::ofstream(dir + "/config.json") << config.dump(1);
  auto parsed = parse_gemma4_config(config.dump(), "config.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  uint64_t offset = 0;
  for (const ExpectedTensor& t : expected_gemma4_tensors(*parsed)) {
    if (t.presence != TensorPresence::kRequired) continue;
    const uint64_t bytes = t.shape.num_elements().value_or(0) * 2;
    header[t.name] = {{"dtype", "BF16"}, {"shape", t.shape.dims()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' ');
  std::ofstream out(dir + "/model.safetensors", std::ios::binary);
  const uint64_t length = text.size();
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << text;
  const std::string zeros(1 << 20, '\0');
  for (uint64_t left = offset; left > 0;) {
    const uint64_t n = std::min<uint64_t>(left, zeros.size());
    out.write(zeros.data(), static_cast<std::streamsize>(n));
    left -= n;
  }
}

TEST(GgufExportMemory, ConvertPeakIsBoundedSlowNoSanitizer) {
  ScratchDir dir;
  write_large_vocab_checkpoint(dir.path());
  GgufExportOptions o;
  o.source = dir.path();
  o.out = dir / "big.gguf";
  o.policy.quant = "q4_0";
  AnonPeakSampler sampler(1);
  const uint64_t before = sampler.sample();
  auto result = convert_checkpoint_to_gguf(o);
  const uint64_t peak = sampler.sample();
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_EQ(result->model_tensors, 68u);
  // One table is 32 MiB in bf16 and 64 MiB as f32; streamed 8 MiB blocks stay far below.
  EXPECT_LT(peak - before, 48ull << 20) << "anonymous peak grew by " << ((peak - before) >> 20) << " MiB";
}

}  // namespace
}  // namespace hfb
