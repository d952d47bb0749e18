// Bad and unusual media: a corruption catalogue (each case with its expected error code) for the WAV, PNG and
// JPEG decoders, the decode-size limit before allocation, and the documented conversions (PCM widths, float,
// channel mean, 16-bit / palette / gray-alpha PNG, gray and CMYK JPEG).
#include <gtest/gtest.h>

#include <cmath>

#include "readers/media/audio_decode.h"
#include "readers/media/exif_orientation.h"
#include "readers/media/image_decode.h"
#include "readers/media/log_mel.h"
#include "readers/media/resample.h"
#include "tests/readers/media_encode_util.h"

namespace hfb::media {
namespace {

using namespace hfb::test;

std::vector<uint8_t> pcm16(const std::vector<int16_t>& samples) {
  std::vector<uint8_t> out;
  for (int16_t s : samples) put_le(out, static_cast<uint16_t>(s), 2);
  return out;
}

std::vector<uint8_t> good_wav() { return make_wav(1, 1, 16000, 16, pcm16(std::vector<int16_t>(400, 1000))); }
std::vector<uint8_t> good_png() { return make_png(4, 3, PNG_COLOR_TYPE_RGB, 8, std::vector<uint8_t>(36, 90)); }
std::vector<uint8_t> good_jpeg() { return make_jpeg(16, 16, 3, std::vector<uint8_t>(16 * 16 * 3, 128)); }

enum class Kind { kAudio, kImage };

struct CorruptCase {
  const char* name;
  Kind kind;
  std::vector<uint8_t> bytes;
  ErrorCode expected;
};

std::vector<CorruptCase> catalogue() {
  std::vector<CorruptCase> cases;
  const std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  cases.push_back({"audio_empty", Kind::kAudio, {}, ErrorCode::kInvalidFile});
  cases.push_back({"audio_text", Kind::kAudio, text, ErrorCode::kInvalidFile});
  std::vector<uint8_t> wav = good_wav();
  cases.push_back({"audio_riff_cut", Kind::kAudio, std::vector<uint8_t>(wav.begin(), wav.begin() + 10), ErrorCode::kInvalidFile});
  cases.push_back({"audio_header_cut", Kind::kAudio, std::vector<uint8_t>(wav.begin(), wav.begin() + 30), ErrorCode::kInvalidFile});
  cases.push_back({"audio_data_cut", Kind::kAudio, std::vector<uint8_t>(wav.begin(), wav.end() - 100), ErrorCode::kInvalidFile});
  cases.push_back({"audio_zero_frames", Kind::kAudio, make_wav(1, 1, 16000, 16, {}), ErrorCode::kInvalidFile});
  cases.push_back({"audio_png_bytes", Kind::kAudio, good_png(), ErrorCode::kInvalidFile});
  cases.push_back({"image_empty", Kind::kImage, {}, ErrorCode::kInvalidFile});
  cases.push_back({"image_text", Kind::kImage, text, ErrorCode::kInvalidFile});
  cases.push_back({"image_wav_bytes", Kind::kImage, wav, ErrorCode::kInvalidFile});
  std::vector<uint8_t> png = good_png();
  cases.push_back({"png_signature_only", Kind::kImage, std::vector<uint8_t>(png.begin(), png.begin() + 8), ErrorCode::kInvalidFile});
  cases.push_back({"png_cut_in_idat", Kind::kImage, std::vector<uint8_t>(png.begin(), png.end() - 20), ErrorCode::kInvalidFile});
  std::vector<uint8_t> bad_crc = png;
  bad_crc[29] ^= 0xFF;  // IHDR CRC
  cases.push_back({"png_ihdr_crc", Kind::kImage, bad_crc, ErrorCode::kInvalidFile});
  std::vector<uint8_t> huge_png = png;
  png_set_claimed_size(huge_png, 20000, 20000);
  cases.push_back({"png_20000x20000", Kind::kImage, huge_png, ErrorCode::kLimit});
  std::vector<uint8_t> zero_png = png;
  png_set_claimed_size(zero_png, 0, 5);
  cases.push_back({"png_zero_width", Kind::kImage, zero_png, ErrorCode::kInvalidFile});
  std::vector<uint8_t> jpeg = good_jpeg();
  cases.push_back({"jpeg_soi_only", Kind::kImage, std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + 3), ErrorCode::kInvalidFile});
  cases.push_back({"jpeg_cut_in_scan", Kind::kImage, std::vector<uint8_t>(jpeg.begin(), jpeg.end() - 40), ErrorCode::kInvalidFile});
  std::vector<uint8_t> huge_jpeg = jpeg;
  jpeg_set_claimed_size(huge_jpeg, 20000, 20000);
  cases.push_back({"jpeg_20000x20000", Kind::kImage, huge_jpeg, ErrorCode::kLimit});
  return cases;
}

TEST(MediaCorruption, CatalogueFailsWithTheExpectedCode) {
  for (const CorruptCase& c : catalogue()) {
    if (c.kind == Kind::kAudio) {
      auto r = decode_audio(c.bytes.data(), c.bytes.size(), c.name);
      ASSERT_FALSE(r.ok()) << c.name;
      EXPECT_EQ(r.error().code, c.expected) << c.name << ": " << r.error().to_string();
      EXPECT_EQ(r.error().path, c.name);
    } else {
      auto r = decode_image(c.bytes.data(), c.bytes.size(), c.name);
      ASSERT_FALSE(r.ok()) << c.name;
      EXPECT_EQ(r.error().code, c.expected) << c.name << ": " << r.error().to_string();
      EXPECT_EQ(r.error().path, c.name);
    }
  }
}

TEST(MediaCorruption, GoodFilesOfTheCatalogueDecode) {
  std::vector<uint8_t> wav = good_wav(), png = good_png(), jpeg = good_jpeg();
  EXPECT_TRUE(decode_audio(wav.data(), wav.size(), "wav").ok());
  EXPECT_TRUE(decode_image(png.data(), png.size(), "png").ok());
  EXPECT_TRUE(decode_image(jpeg.data(), jpeg.size(), "jpeg").ok());
}

TEST(MediaAudioFormats, PcmWidthsFloatAndChannelMean) {
  std::vector<uint8_t> data;
  put_le(data, 0x400000, 3);  // 24-bit 0.5
  put_le(data, 0xC00000, 3);  // 24-bit -0.5
  auto pcm24 = make_wav(1, 1, 8000, 24, data);
  auto a = decode_audio(pcm24.data(), pcm24.size(), "pcm24");
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->samples, (std::vector<float>{0.5f, -0.5f}));
  data.clear();
  put_le(data, 0x20000000, 4);  // 32-bit 0.25
  auto pcm32 = make_wav(1, 1, 8000, 32, data);
  auto b = decode_audio(pcm32.data(), pcm32.size(), "pcm32");
  ASSERT_TRUE(b.ok());
  EXPECT_FLOAT_EQ(b->samples[0], 0.25f);
  data.clear();
  for (float f : {0.125f, -1.5f, 0.75f}) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    put_le(data, bits, 4);
  }
  auto f32 = make_wav(3, 3, 44100, 32, data);  // one frame of 3 channels
  auto c = decode_audio(f32.data(), f32.size(), "float3");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->channels, 3);
  EXPECT_EQ(c->samples, (std::vector<float>{0.125f, -1.5f, 0.75f}));  // float kept as stored (no clipping)
  EXPECT_FLOAT_EQ(downmix_mean(*c)[0], (0.125f + -1.5f + 0.75f) / 3.0f);
  auto pcm16_stereo = make_wav(1, 2, 16000, 16, pcm16({16384, -16384, 8192, 0}));
  auto d = decode_audio(pcm16_stereo.data(), pcm16_stereo.size(), "stereo");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(downmix_mean(*d), (std::vector<float>{0.0f, 0.125f}));
}

TEST(MediaAudioFormats, VeryShortAudioHasFramesButFewTokens) {
  auto one = make_wav(1, 1, 16000, 16, pcm16({1000}));
  auto clip = decode_audio(one.data(), one.size(), "one");
  ASSERT_TRUE(clip.ok());
  auto features = compute_log_mel(clip->samples, AudioFeatureConfig{});
  ASSERT_TRUE(features.ok());
  EXPECT_EQ(features->padded_samples, 128);
  EXPECT_EQ(features->frames, 0);  // 160 + 128 samples < one 321-sample frame
  EXPECT_EQ(features->soft_tokens, 0);
}

TEST(MediaImageFormats, SixteenBitPaletteGrayAlphaAreConverted) {
  // 16-bit RGB: the high byte of each big-endian sample (PIL's RGB;16B rawmode).
  std::vector<uint8_t> rgb16 = {0x12, 0x34, 0xAB, 0xCD, 0xFF, 0x00};
  auto png16 = make_png(1, 1, PNG_COLOR_TYPE_RGB, 16, rgb16);
  auto a = decode_image(png16.data(), png16.size(), "rgb16");
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->rgb, (std::vector<uint8_t>{0x12, 0xAB, 0xFF}));
  EXPECT_EQ(a->source_mode, "RGB16");
  // Palette: looked up.
  std::vector<png_color> palette = {{10, 20, 30}, {200, 100, 50}};
  auto pal = make_png(2, 1, PNG_COLOR_TYPE_PALETTE, 8, {1, 0}, palette);
  auto b = decode_image(pal.data(), pal.size(), "palette");
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_EQ(b->rgb, (std::vector<uint8_t>{200, 100, 50, 10, 20, 30}));
  EXPECT_EQ(b->source_mode, "P");
  // Gray + alpha: gray replicated, alpha dropped.
  auto la = make_png(1, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, {77, 0});
  auto c = decode_image(la.data(), la.size(), "la");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->rgb, (std::vector<uint8_t>{77, 77, 77}));
  // 1-bit gray: 0 / 255.
  auto bits = make_png(8, 1, PNG_COLOR_TYPE_GRAY, 1, {0xA0});
  auto d = decode_image(bits.data(), bits.size(), "gray1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->rgb[0], 255);
  EXPECT_EQ(d->rgb[3], 0);
}

TEST(MediaImageFormats, GrayAndCmykJpeg) {
  auto gray = make_jpeg(8, 8, 1, std::vector<uint8_t>(64, 200));
  auto a = decode_image(gray.data(), gray.size(), "gray.jpg");
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->source_mode, "L");
  EXPECT_NEAR(a->rgb[0], 200, 1);
  EXPECT_EQ(a->rgb[0], a->rgb[1]);
  // CMYK with libjpeg's Adobe marker: stored inverted (as Photoshop writes), PIL reads "CMYK;I" then cmyk2rgb.
  // Stored (0, 255, 255, 255) = ink (255, 0, 0, 0): full cyan -> RGB (0, 255, 255).
  std::vector<uint8_t> cmyk;
  for (int i = 0; i < 64; ++i) cmyk.insert(cmyk.end(), {0, 255, 255, 255});
  auto cm = make_jpeg(8, 8, 4, cmyk);
  auto b = decode_image(cm.data(), cm.size(), "cmyk.jpg");
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_EQ(b->source_mode, "CMYK");
  EXPECT_NEAR(b->rgb[0], 0, 2);
  EXPECT_NEAR(b->rgb[1], 255, 2);
  EXPECT_NEAR(b->rgb[2], 255, 2);
}

TEST(MediaImageFormats, LimitIsCheckedBeforeDecoding) {
  ImageLimits small;
  small.max_pixels = 11;
  std::vector<uint8_t> png = good_png();  // 4 x 3 = 12 pixels
  auto r = decode_image(png.data(), png.size(), "small", small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kLimit);
  auto one = make_png(1, 1, PNG_COLOR_TYPE_RGB, 8, {1, 2, 3});
  auto ok = decode_image(one.data(), one.size(), "1x1");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->rgb, (std::vector<uint8_t>{1, 2, 3}));
}

}  // namespace
}  // namespace hfb::media

namespace hfb::media {
namespace {

TEST(MediaAudioFormats, LongAudioDecodesOnlyWhatTheExtractorKeeps) {
  std::vector<uint8_t> data;
  const int rate = 22050, seconds = 40;
  for (int i = 0; i < rate * seconds; ++i) {
    put_le(data, static_cast<uint16_t>(static_cast<int16_t>(8000 * std::sin(0.03 * i) * std::sin(0.0001 * i))), 2);
  }
  std::vector<uint8_t> wav = make_wav(1, 1, rate, 16, data);
  auto whole = decode_audio(wav.data(), wav.size(), "long", 3600.0);
  auto kept = decode_audio(wav.data(), wav.size(), "long", 31.0);
  ASSERT_TRUE(whole.ok() && kept.ok());
  EXPECT_EQ(whole->frames, rate * seconds);
  EXPECT_EQ(kept->frames, rate * 31);
  AudioFeatureConfig config;
  auto a = compute_log_mel(*resample_rate(whole->samples, rate, 16000), config);
  auto b = compute_log_mel(*resample_rate(kept->samples, rate, 16000), config);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->frames, 2999);  // 480000 samples kept: (160 + 480000 - 321) / 160 + 1
  EXPECT_EQ(a->input_features, b->input_features);
  EXPECT_EQ(a->soft_tokens, 750);
}

}  // namespace
}  // namespace hfb::media

namespace hfb::media {
namespace {

TEST(MediaImageFormats, JpegExifOrientationIsAppliedLikeExifTranspose) {
  // 32 x 16 image: left half dark, right half bright (JPEG keeps flat 8x8 blocks exact enough).
  std::vector<uint8_t> rgb;
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 32; ++x) {
      const uint8_t v = x < 16 ? 20 : 230;
      rgb.insert(rgb.end(), {v, v, v});
    }
  }
  auto plain = make_jpeg(32, 16, 3, rgb, 1);
  auto upright = decode_image(plain.data(), plain.size(), "o1");
  ASSERT_TRUE(upright.ok());
  EXPECT_EQ(upright->width, 32);
  for (int orientation = 2; orientation <= 8; ++orientation) {
    auto bytes = make_jpeg(32, 16, 3, rgb, orientation);
    auto image = decode_image(bytes.data(), bytes.size(), "o" + std::to_string(orientation));
    ASSERT_TRUE(image.ok()) << orientation;
    EXPECT_EQ(image->orientation, orientation);
    RgbImage expected = *upright;
    apply_exif_orientation(orientation, &expected);
    EXPECT_EQ(image->width, orientation >= 5 ? 16 : 32) << orientation;
    EXPECT_EQ(image->rgb, expected.rgb) << orientation;
  }
  // Orientation 6 (rotate 270 = 90 clockwise): the bright right half ends up at the bottom.
  RgbImage rotated = *upright;
  apply_exif_orientation(6, &rotated);
  EXPECT_LT(rotated.rgb[0], 60);
  EXPECT_GT(rotated.rgb[(31 * 16 + 0) * 3], 200);
  // A malformed EXIF payload is ignored (orientation 1), never read past its end.
  std::vector<uint8_t> cut = exif_orientation_payload(6);
  EXPECT_EQ(exif_orientation(cut.data(), 20), 1);
  EXPECT_EQ(exif_orientation(cut.data(), cut.size()), 6);
}

}  // namespace
}  // namespace hfb::media
