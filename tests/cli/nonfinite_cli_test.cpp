// --allow-nonfinite never yields a quantized tensor whose NaN/Inf became finite values (issue 16): a checkpoint with
// a NaN in one weight, converted with --quant q8_0 / q4_0 to a bundle or to GGUF, keeps that tensor in its stored
// float type, the coverage says "kept float: N non-finite values", and `run` then stops naming the weight.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/cli/hostile_inputs.h"

namespace hfb {
namespace {

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";
const std::string kGateProj = "model.layers.0.mlp.gate_proj.weight";

class NonfiniteCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hfb_nonfinite_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    testing::copy_dir(kSample, dir_ + "/ck");
    ASSERT_TRUE(testing::set_weight(dir_ + "/ck/model.safetensors", kGateProj, 5, 7, NAN));
    ASSERT_TRUE(testing::set_weight(dir_ + "/ck/model.safetensors", kGateProj, 9, 1, -INFINITY));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// The coverage entry of `tensor` in a convert (bundle) or GGUF coverage file.
  static nlohmann::json entry(const std::string& coverage_file, const std::string& list, const std::string& key,
                              const std::string& tensor) {
    const nlohmann::json j = nlohmann::json::parse(testing::slurp(coverage_file));
    for (const auto& e : j.at(list)) {
      if (e.at(key) == tensor) return e;
    }
    return nlohmann::json();
  }

  std::string dir_;
};

TEST_F(NonfiniteCli, BundleKeepsTheTensorFloatAndRunNamesIt) {
  for (const char* scheme : {"q8_0", "q4_0", "int8", "kmeans4"}) {
    SCOPED_TRACE(scheme);
    const std::string out = dir_ + "/" + scheme + ".hfb", cov = dir_ + "/" + scheme + ".json";
    const auto converted = testing::run_bounded("convert " + dir_ + "/ck -o " + out + " --quant " + scheme +
                                                    " --allow-nonfinite --coverage " + cov + " --quiet", 120, 0);
    ASSERT_EQ(converted.exit_code, 0) << converted.err;
    const nlohmann::json e = entry(cov, "tensors", "name", kGateProj);
    ASSERT_FALSE(e.is_null());
    EXPECT_EQ(e.at("scheme"), "none");
    EXPECT_EQ(e.at("reason").get<std::string>().rfind("kept float: 2 non-finite values", 0), 0u) << e.dump();
    EXPECT_EQ(e.at("bytes_after"), e.at("bytes_before"));
    const nlohmann::json up = entry(cov, "tensors", "name", "model.layers.0.mlp.up_proj.weight");
    EXPECT_EQ(up.at("scheme"), scheme) << "a clean tensor is quantized as asked";
    // The bundle stores it as the checkpoint did (BF16, no scheme).
    bundle::Manifest m;
    ASSERT_TRUE(m.ParseFromString(testing::slurp(out + "/manifest.pb")));
    bool found = false;
    for (const auto& t : m.tensors()) {
      if (t.name() != kGateProj) continue;
      found = true;
      EXPECT_EQ(t.encoding().scheme(), "") << "a plain tensor";
      EXPECT_EQ(t.dtype(), "BF16");
    }
    EXPECT_TRUE(found);
    // So the runtime's non-finite check stops the run naming the weight (not finite, meaningless logits).
    const auto ran = testing::run_bounded("run " + out + " --prompt-ids 2,17,5 -n 2", 60, 0);
    EXPECT_EQ(ran.exit_code, 1) << ran.err;
    EXPECT_NE(ran.err.find(kGateProj), std::string::npos) << ran.err;
  }
  // Without the flag the tensor is refused, naming row and column.
  const auto refused = testing::run_bounded("convert " + dir_ + "/ck -o " + dir_ + "/r.hfb --quant q8_0", 60, 0);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("row 5, column 7"), std::string::npos) << refused.err;
}

TEST_F(NonfiniteCli, GgufKeepsTheTensorInItsStoredFloatType) {
  for (const char* scheme : {"q8_0", "q4_0"}) {
    SCOPED_TRACE(scheme);
    const std::string out = dir_ + "/" + scheme + ".gguf", cov = dir_ + "/" + scheme + ".gguf.json";
    const auto converted = testing::run_bounded("convert " + dir_ + "/ck --format gguf -o " + out + " --quant " +
                                                    scheme + " --allow-nonfinite --coverage " + cov + " --quiet", 120, 0);
    ASSERT_EQ(converted.exit_code, 0) << converted.err;
    const nlohmann::json e = entry(cov, "coverage", "tensor", kGateProj);
    ASSERT_FALSE(e.is_null());
    EXPECT_EQ(e.at("type"), "BF16") << e.dump();
    EXPECT_EQ(e.at("reason").get<std::string>().rfind("kept float: 2 non-finite values", 0), 0u) << e.dump();
    EXPECT_EQ(e.at("bytes_after"), e.at("bytes_before"));
    const nlohmann::json up = entry(cov, "coverage", "tensor", "model.layers.0.mlp.up_proj.weight");
    EXPECT_NE(up.at("type"), "BF16") << "a clean tensor is quantized as asked";
  }
}

}  // namespace
}  // namespace hfb
