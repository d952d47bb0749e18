// The public verify path (verify_model: load golden, load checkpoint, reference runtime, report) on the
// text fixtures, and localisation: a perturbed decoder layer is named by first_drifting_layer.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/byte_source.h"
#include "pipeline/open_model.h"
#include "readers/safetensors.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

class TextFixtureParity : public ::testing::TestWithParam<const char*> {};

TEST_P(TextFixtureParity, EveryCasePassesWithinTolerance) {
  const std::string dir = kFixtures + GetParam();
  auto report = verify_model(dir, dir, VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_TRUE(report->pass);
  EXPECT_GT(report->tokens_total, 0);
  EXPECT_EQ(report->tokens_matched, report->tokens_total);
  bool saw_hidden = false;
  for (const CaseReport& c : report->cases) {
    EXPECT_EQ(c.status, CaseStatus::kPass) << c.name << ": " << c.reason;
    EXPECT_FALSE(c.first_divergence.has_value()) << c.name;
    EXPECT_LE(c.max_abs_logit_diff, 2e-3) << c.name;
    EXPECT_LE(c.prefill_max_abs_logit_diff, 2e-3) << c.name;
    EXPECT_LT(c.kl_divergence_mean, 1e-6) << c.name;
    EXPECT_EQ(c.teacher_forced_top1_agreement, 1.0) << c.name;
    EXPECT_FALSE(c.first_drifting_layer.has_value()) << c.name;
    if (!c.layers.empty()) {
      saw_hidden = true;
      for (const LayerReport& l : c.layers) {
        EXPECT_GT(l.cosine, 1.0 - 1e-6) << c.name << " hidden_states." << l.index;
      }
    }
  }
  EXPECT_TRUE(saw_hidden) << "the last case of every text fixture has hidden states";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TextFixtureParity,
                         ::testing::Values("sample", "sample-release", "sample-sharded", "text-kveqv"));

// A temporary copy of a single-file checkpoint; removed on destruction.
class CheckpointCopy {
 public:
  explicit CheckpointCopy(const std::string& source) {
    std::string pattern = (fs::temp_directory_path() / "hfb-parity-XXXXXX").string();
    dir_ = mkdtemp(pattern.data()) ? pattern : "";
    for (const char* f : {"config.json", "generation_config.json", "model.safetensors"}) {
      fs::copy_file(fs::path(source) / f, fs::path(dir_) / f);
    }
  }
  ~CheckpointCopy() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  const std::string& dir() const { return dir_; }

  // Flips the sign of the first quarter of a bf16/f32 tensor's elements (survives the sandwich norms,
  // which a uniform scale would not).
  void negate_first_quarter(const std::string& tensor) {
    const std::string path = dir_ + "/model.safetensors";
    uint64_t offset = 0, bytes = 0, element = 0;
    {
      auto file = MmapFile::open(path);
      ASSERT_TRUE(file.ok());
      auto tensors = parse_safetensors(file.value());
      ASSERT_TRUE(tensors.ok()) << tensors.error().to_string();
      for (const TensorInfo& t : *tensors) {
        if (t.name == tensor) {
          offset = t.offset, bytes = t.num_bytes, element = t.dtype == DType(DTypeId::kF32) ? 4 : 2;
        }
      }
    }
    ASSERT_GT(bytes, 0u) << tensor;
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    for (uint64_t i = 0; i < bytes / element / 4; ++i) {
      const uint64_t sign_byte = offset + i * element + element - 1;  // little-endian: sign in the last byte
      f.seekg(sign_byte);
      char c = 0;
      f.read(&c, 1);
      c = static_cast<char>(c ^ 0x80);
      f.seekp(sign_byte);
      f.write(&c, 1);
    }
    ASSERT_TRUE(f.good());
  }

 private:
  std::string dir_;
};

TEST(ParityLocalisation, PerturbedLayerIsTheFirstDriftingLayer) {
  const std::string golden = kFixtures + "sample";
  for (int layer : {0, 1, 2}) {
    CheckpointCopy copy(golden);
    copy.negate_first_quarter("model.layers." + std::to_string(layer) + ".mlp.down_proj.weight");
    VerifyOptions options;
    options.cases = {"case2"};  // the case with hidden states
    auto report = verify_model(copy.dir(), golden, options);
    ASSERT_TRUE(report.ok()) << report.error().to_string();
    const CaseReport& c = report->cases.at(0);
    ASSERT_TRUE(c.first_drifting_layer.has_value()) << "layer " << layer;
    EXPECT_EQ(*c.first_drifting_layer, layer);
    for (const LayerReport& l : c.layers) {
      EXPECT_EQ(l.index <= layer, l.cosine > 1.0 - 1e-6) << "perturbed " << layer << ", hidden " << l.index;
    }
    EXPECT_GT(c.prefill_max_abs_logit_diff, 2e-3);
    EXPECT_FALSE(report->pass);
  }
}

TEST(ParityLocalisation, LastLayerDriftIsReportedAtTheFinalNorm) {
  const std::string golden = kFixtures + "sample";
  CheckpointCopy copy(golden);
  copy.negate_first_quarter("model.layers.3.mlp.down_proj.weight");
  VerifyOptions options;
  options.cases = {"case2"};
  auto report = verify_model(copy.dir(), golden, options);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  ASSERT_TRUE(report->cases[0].first_drifting_layer.has_value());
  EXPECT_EQ(*report->cases[0].first_drifting_layer, 4);  // num_layers: hidden_states.4 is the final norm
}

TEST(ParityAgainst, ReferenceCheckpointPlaysTheGolden) {
  const std::string sample = kFixtures + "sample";
  AgainstOptions against;
  against.reference_path = kFixtures + "sample-release";
  against.random_prompts = 3;
  against.seed = 11;
  against.steps = 5;
  auto same = verify_model_against(sample, against, VerifyOptions{});
  ASSERT_TRUE(same.ok()) << same.error().to_string();
  EXPECT_TRUE(same->pass);
  EXPECT_EQ(same->tokens_matched, 15);
  EXPECT_EQ(same->golden, against.reference_path);

  CheckpointCopy copy(sample);
  copy.negate_first_quarter("model.layers.2.mlp.down_proj.weight");
  auto perturbed = verify_model_against(copy.dir(), against, VerifyOptions{});
  ASSERT_TRUE(perturbed.ok()) << perturbed.error().to_string();
  EXPECT_FALSE(perturbed->pass);
  for (const CaseReport& c : perturbed->cases) EXPECT_EQ(c.first_drifting_layer.value_or(-9), 2) << c.name;
}

}  // namespace
}  // namespace hfb
