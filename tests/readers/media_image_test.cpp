// Image front-end vs the media goldens: PNG/JPEG decode, convert("RGB"), target size, PIL bicubic, patches, positions.
#include <gtest/gtest.h>

#include <cmath>

#include "readers/media/image_features.h"
#include "readers/media/pil_resize.h"
#include "tests/readers/media_golden_util.h"

namespace hfb::media {
namespace {

using test::MediaGolden;
using test::media_dir;

RgbImage load(const nlohmann::json& entry) {
  auto image = read_image_file(media_dir() + "/" + entry["file"].get<std::string>());
  EXPECT_TRUE(image.ok()) << image.error().to_string();
  return image.ok() ? *image : RgbImage{};
}

ImageProcessorConfig setting_config(const nlohmann::json& setting) {
  ImageProcessorConfig config;
  config.patch_size = setting["patch_size"];
  config.pooling_kernel_size = setting["pooling_kernel_size"];
  config.max_soft_tokens = setting["max_soft_tokens"];
  return config;
}

TEST(MediaImage, DecodedSizeAndJpegPixelsMatchGolden) {
  for (const auto& entry : MediaGolden::get().json()["images"]) {
    RgbImage image = load(entry);
    EXPECT_EQ(image.width, entry["size_wh"][0].get<int>()) << entry["name"];
    EXPECT_EQ(image.height, entry["size_wh"][1].get<int>()) << entry["name"];
    const std::string tensor = "image." + entry["name"].get<std::string>() + ".decoded_rgb";
    if (MediaGolden::get().has(tensor)) {
      EXPECT_EQ(image.rgb, MediaGolden::get().values<uint8_t>(tensor)) << tensor << " (libjpeg-turbo vs PIL's libjpeg)";
    }
  }
}

TEST(MediaImage, ConvertRgbReplicatesGrayAndDropsAlpha) {
  RgbImage gray = load(MediaGolden::get().image("gray"));
  EXPECT_EQ(gray.source_mode, "L");
  for (size_t i = 0; i < gray.rgb.size(); i += 3) {
    ASSERT_EQ(gray.rgb[i], gray.rgb[i + 1]);
    ASSERT_EQ(gray.rgb[i], gray.rgb[i + 2]);
  }
  RgbImage alpha = load(MediaGolden::get().image("alpha"));
  EXPECT_EQ(alpha.source_mode, "RGBA");
  // The golden's resize at the tiny setting keeps the transparent magenta: it must be in the decoded pixels.
  bool magenta = false;
  for (size_t i = 0; i < alpha.rgb.size(); i += 3) magenta |= alpha.rgb[i] == 255 && alpha.rgb[i + 1] == 0 && alpha.rgb[i + 2] == 255;
  EXPECT_TRUE(magenta);
}

TEST(MediaImage, TargetSizeForEveryBudget) {
  for (const auto& entry : MediaGolden::get().json()["images"]) {
    const int w = entry["size_wh"][0], h = entry["size_wh"][1];
    for (const auto& [budget, geometry] : entry["geometry_e2b_all_budgets"].items()) {
      ImageProcessorConfig config;
      config.max_soft_tokens = std::stoi(budget);
      auto target = aspect_preserving_target(h, w, config);
      ASSERT_TRUE(target.ok()) << target.error().to_string();
      EXPECT_EQ(target->height, geometry["target_hw"][0].get<int>()) << entry["name"] << " @" << budget;
      EXPECT_EQ(target->width, geometry["target_hw"][1].get<int>()) << entry["name"] << " @" << budget;
      EXPECT_EQ(int64_t{target->height / 16} * (target->width / 16), geometry["patches"].get<int64_t>());
    }
  }
}

TEST(MediaImage, ResizedPixelsPatchesAndPositionsMatchGolden) {
  for (const auto& entry : MediaGolden::get().json()["images"]) {
    const std::string name = entry["name"];
    RgbImage image = load(entry);
    for (const char* key : {"e2b", "tiny"}) {
      const auto& setting = entry["settings"][key];
      auto features = preprocess_image(image, setting_config(setting));
      ASSERT_TRUE(features.ok()) << features.error().to_string();
      const std::string prefix = "image." + name + "." + key + ".";
      EXPECT_EQ(features->target.height, setting["target_hw"][0].get<int>()) << prefix;
      EXPECT_EQ(features->target.width, setting["target_hw"][1].get<int>()) << prefix;
      EXPECT_EQ(features->grid_h, setting["patch_grid_hw"][0].get<int>()) << prefix;
      EXPECT_EQ(features->grid_w, setting["patch_grid_hw"][1].get<int>()) << prefix;
      EXPECT_EQ(features->soft_tokens, setting["soft_tokens"].get<int64_t>()) << prefix;
      EXPECT_EQ(features->max_patches - features->patches, setting["padding_patches"].get<int64_t>()) << prefix;
      EXPECT_EQ(features->resized.rgb, MediaGolden::get().values<uint8_t>(prefix + "resized_rgb")) << prefix;
      EXPECT_EQ(features->position_ids, MediaGolden::get().values<int64_t>(prefix + "image_position_ids")) << prefix;
      if (MediaGolden::get().has(prefix + "pixel_values")) {
        EXPECT_EQ(features->pixel_values, MediaGolden::get().values<float>(prefix + "pixel_values")) << prefix;
      }
    }
  }
}

TEST(MediaImage, RefusesUnsupportedBudgetAndFilter) {
  RgbImage image{4, 4, std::vector<uint8_t>(48, 7), "RGB"};
  ImageProcessorConfig config;
  config.max_soft_tokens = 100;
  EXPECT_EQ(preprocess_image(image, config).error().code, ErrorCode::kInvalidArgument);
  config.max_soft_tokens = 280;
  config.resample = 2;
  EXPECT_EQ(preprocess_image(image, config).error().code, ErrorCode::kUnsupported);
}

TEST(MediaImage, OnePixelImageScalesUp) {
  RgbImage image{1, 1, {10, 20, 30}, "RGB"};
  auto features = preprocess_image(image, ImageProcessorConfig{});
  ASSERT_TRUE(features.ok()) << features.error().to_string();
  EXPECT_EQ(features->target.height, 768);
  EXPECT_EQ(features->target.width, 768);
  EXPECT_EQ(features->soft_tokens, 256);
  EXPECT_FLOAT_EQ(features->pixel_values[0], static_cast<float>(10 * (1.0 / 255.0)));
}

}  // namespace
}  // namespace hfb::media
