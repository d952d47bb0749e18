// Audio front-end vs the media goldens: WAV decode, downmix, resample_poly, Gemma 4 log-mel, mask, soft tokens.
#include <gtest/gtest.h>

#include <cmath>

#include "readers/media/audio_decode.h"
#include "readers/media/log_mel.h"
#include "readers/media/resample.h"
#include "tests/readers/media_golden_util.h"

namespace hfb::media {
namespace {

using test::MediaGolden;
using test::media_dir;

std::vector<float> waveform_16k(const std::string& file) {
  auto clip = read_audio_file(media_dir() + "/" + file);
  EXPECT_TRUE(clip.ok()) << clip.error().to_string();
  if (!clip.ok()) return {};
  auto wave = resample_rate(downmix_mean(*clip), clip->sample_rate, 16000);
  EXPECT_TRUE(wave.ok()) << wave.error().to_string();
  return wave.ok() ? *wave : std::vector<float>{};
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
  return worst;
}

AudioFeatureConfig config_with_bins(int bins) {
  AudioFeatureConfig config;
  config.feature_size = bins;
  return config;
}

struct SettingCase {
  const char* key;
  int bins;
};
constexpr SettingCase kSettings[] = {{"e2b", 128}, {"tiny", 24}};

TEST(MediaAudio, WavHeadersMatchGolden) {
  for (const auto& a : MediaGolden::get().json()["audio"]) {
    auto clip = read_audio_file(media_dir() + "/" + a["file"].get<std::string>());
    ASSERT_TRUE(clip.ok()) << clip.error().to_string();
    EXPECT_EQ(clip->sample_rate, a["wav"]["sample_rate"].get<int>()) << a["name"];
    EXPECT_EQ(clip->channels, a["wav"]["channels"].get<int>()) << a["name"];
    EXPECT_EQ(clip->frames, a["wav"]["frames"].get<int64_t>()) << a["name"];
  }
}

TEST(MediaAudio, ResampledWaveformMatchesScipyResamplePoly) {
  int checked = 0;
  for (const auto& a : MediaGolden::get().json()["audio"]) {
    const auto& input = a["feature_extractor_input"];
    std::vector<float> wave = waveform_16k(a["file"]);
    EXPECT_EQ(static_cast<int64_t>(wave.size()), input["samples"].get<int64_t>()) << a["name"];
    if (!input.contains("tensor")) continue;
    std::vector<float> golden = MediaGolden::get().values<float>(input["tensor"]);
    EXPECT_LE(max_abs_diff(wave, golden), 1e-6) << a["name"];
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

TEST(MediaAudio, LogMelOfGoldenWaveformIsExact) {
  for (const auto& a : MediaGolden::get().json()["audio"]) {
    const std::string name = a["name"];
    const auto& input = a["feature_extractor_input"];
    std::vector<float> wave = input.contains("tensor") ? MediaGolden::get().values<float>(input["tensor"])
                                                       : waveform_16k(a["file"]);
    for (const SettingCase& s : kSettings) {
      auto features = compute_log_mel(wave, config_with_bins(s.bins));
      ASSERT_TRUE(features.ok()) << features.error().to_string();
      const std::string prefix = "audio." + name + "." + s.key + ".";
      std::vector<float> golden = MediaGolden::get().values<float>(prefix + "input_features");
      std::vector<uint8_t> mask = MediaGolden::get().values<uint8_t>(prefix + "input_features_mask");
      EXPECT_EQ(features->frames, a[s.key]["frames"].get<int64_t>()) << prefix;
      EXPECT_EQ(features->input_features_mask, mask) << prefix;
      EXPECT_EQ(features->soft_tokens, a[s.key]["audio_soft_tokens"].get<int64_t>()) << prefix;
      EXPECT_LE(max_abs_diff(features->input_features, golden), 1e-5) << prefix;
    }
    EXPECT_EQ(a["e2b"]["padded_samples"].get<int64_t>(),
              compute_log_mel(wave, config_with_bins(128))->padded_samples);
  }
}

TEST(MediaAudio, LogMelFromFileWithinResamplerSensitivity) {
  for (const auto& a : MediaGolden::get().json()["audio"]) {
    const std::string name = a["name"];
    std::vector<float> wave = waveform_16k(a["file"]);
    auto features = compute_log_mel(wave, config_with_bins(128));
    ASSERT_TRUE(features.ok()) << features.error().to_string();
    std::vector<float> golden = MediaGolden::get().values<float>("audio." + name + ".e2b.input_features");
    const double bound = a.contains("resampler_sensitivity")
                             ? a["resampler_sensitivity"]["max_abs_log_mel_diff_those_bins"].get<double>()
                             : 1e-4;
    EXPECT_LE(max_abs_diff(features->input_features, golden), bound) << name;
    EXPECT_EQ(features->soft_tokens, a["e2b"]["audio_soft_tokens"].get<int64_t>()) << name;
  }
}

TEST(MediaAudio, SoftTokensFollowTheStrideTwoRule) {
  EXPECT_EQ(audio_soft_tokens_from_mask(std::vector<uint8_t>(309, 1)), 78);
  std::vector<uint8_t> mask(10, 1);
  mask[8] = mask[9] = 0;  // 10 -> 5 (1,1,1,1,0) -> 3 (1,1,0)
  EXPECT_EQ(audio_soft_tokens_from_mask(mask), 2);
  EXPECT_EQ(audio_soft_tokens_from_mask({}), 0);
}

TEST(MediaAudio, MelBankRowsAreTriangles) {
  AudioFeatureConfig config;
  std::vector<double> bank = htk_mel_filter_bank(config);
  ASSERT_EQ(bank.size(), size_t{257} * 128);
  // 128 HTK filters over 257 FFT bins: the lowest filters are narrower than a bin (HF warns, the goldens keep
  // them); every filter stays a triangle with peak <= 1 and nearly all of them catch a bin.
  int empty = 0;
  for (int m = 0; m < 128; ++m) {
    double peak = 0.0;
    for (int f = 0; f < 257; ++f) peak = std::max(peak, bank[size_t(f) * 128 + m]);
    EXPECT_LE(peak, 1.0) << m;
    empty += peak == 0.0;
  }
  EXPECT_LE(empty, 4);
  EXPECT_GE(empty, 1);
}

TEST(MediaAudio, RejectsDitherAndEmptyWaveform) {
  AudioFeatureConfig config;
  config.dither = 1e-4;
  auto dithered = compute_log_mel(std::vector<float>(1000, 0.1f), config);
  ASSERT_FALSE(dithered.ok());
  EXPECT_EQ(dithered.error().code, ErrorCode::kUnsupported);
  auto empty = compute_log_mel({}, AudioFeatureConfig{});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hfb::media
