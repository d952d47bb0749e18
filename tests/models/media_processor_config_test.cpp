// Front-end settings: defaults sized by the model's towers, processor-file overlays, token ids from config.json.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "readers/media/processor_config.h"
#include "models/load_checkpoint.h"

namespace hfb::media {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kMm = std::string(HFB_FIXTURES_DIR) + "/gemma4/mm";

TEST(MediaProcessorConfig, DefaultsTakeMelBinsAndPatchFromTheTowers) {
  auto model = load_checkpoint(kMm);
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  auto settings = media_settings_from_model(*model);
  ASSERT_TRUE(settings.ok()) << settings.error().to_string();
  EXPECT_EQ(settings->audio.feature_size, 24);  // input_proj_linear [48, 72], channels [24, 12]
  EXPECT_EQ(settings->image.patch_size, 3);
  EXPECT_EQ(settings->image.pooling_kernel_size, 3);
  EXPECT_EQ(settings->image.max_soft_tokens, 280);
  EXPECT_EQ(settings->audio.sampling_rate, 16000);
  ASSERT_TRUE(apply_config_token_ids(read_text(kMm + "/config.json"), kMm + "/config.json", &*settings).ok());
  EXPECT_EQ(settings->tokens.boi, 880);
  EXPECT_EQ(settings->tokens.eoi, 881);
  EXPECT_EQ(settings->tokens.boa, 884);
  EXPECT_EQ(settings->tokens.eoa, 885);
  EXPECT_EQ(settings->tokens.audio, 886);
  EXPECT_EQ(settings->tokens.image, 882);
}

TEST(MediaProcessorConfig, E2bProcessorFileOverlaysAndChecksMelBins) {
  const std::string path = std::string(HFB_FIXTURES_DIR) + "/gemma4/media/processor_config.e2b.json";
  MediaSettings e2b;  // feature_size 128 = the E2B tower's
  ASSERT_TRUE(apply_processor_json(read_text(path), path, &e2b).ok());
  EXPECT_EQ(e2b.image.patch_size, 16);
  EXPECT_EQ(e2b.image.max_soft_tokens, 280);
  EXPECT_EQ(e2b.audio.frame_length, 320);
  EXPECT_EQ(e2b.audio.audio_seq_length, 750);
  EXPECT_EQ(e2b.source, path);
  MediaSettings tiny;
  tiny.audio.feature_size = 24;
  auto mismatch = apply_processor_json(read_text(path), path, &tiny);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, ErrorCode::kInvalidFile);
}

TEST(MediaProcessorConfig, BadValuesAreRefused) {
  MediaSettings s;
  EXPECT_EQ(apply_processor_json("{\"image_processor\": {\"patch_size\": \"x\"}}", "p.json", &s).error().code,
            ErrorCode::kInvalidFile);
  EXPECT_EQ(apply_processor_json("[1]", "p.json", &s).error().code, ErrorCode::kInvalidFile);
  EXPECT_EQ(apply_processor_json("{\"feature_extractor\": {\"dither\": 0.1}}", "p.json", &s).error().code,
            ErrorCode::kUnsupported);
  EXPECT_FALSE(set_max_soft_tokens(100, &s).ok());
  EXPECT_TRUE(set_max_soft_tokens(70, &s).ok());
  EXPECT_EQ(s.image.max_soft_tokens, 70);
}

}  // namespace
}  // namespace hfb::media
