// bench/media: the Gemma 4 front-ends at E2B settings: log-mel of 30 s of audio (16 kHz mono, and 44.1 kHz stereo
// through downmix + resample_poly), and a 12-megapixel JPEG (generated here) decoded and preprocessed (budget 280).
// Usage: hfb_media_bench [seconds=30] [megapixels=12]
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "readers/media/audio_decode.h"
#include "readers/media/image_decode.h"
#include "readers/media/image_features.h"
#include "readers/media/log_mel.h"
#include "readers/media/resample.h"
#include "tests/readers/media_encode_util.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

template <typename F>
double best_ms(int runs, F&& f) {
  double best = 1e30;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    f();
    best = std::min(best, ms_since(start));
  }
  return best;
}

std::vector<uint8_t> synthetic_jpeg(int width, int height) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  uint32_t seed = 12345;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      seed = seed * 1664525u + 1013904223u;
      uint8_t* p = rgb.data() + (static_cast<size_t>(y) * width + x) * 3;
      p[0] = static_cast<uint8_t>(x * 255 / width);
      p[1] = static_cast<uint8_t>(y * 255 / height);
      p[2] = static_cast<uint8_t>(seed >> 24);
    }
  }
  return hfb::test::make_jpeg(width, height, 3, rgb, /*orientation=*/0, /*quality=*/90);  // tests/readers/media_encode_util.h
}

}  // namespace

int main(int argc, char** argv) {
  using namespace hfb::media;
  const double seconds = argc > 1 ? std::atof(argv[1]) : 30.0;
  const double megapixels = argc > 2 ? std::atof(argv[2]) : 12.0;

  std::vector<float> speech(static_cast<size_t>(seconds * 16000));
  for (size_t i = 0; i < speech.size(); ++i) speech[i] = 0.3f * std::sin(0.05f * i) * std::sin(0.0007f * i);
  AudioFeatureConfig e2b;
  int64_t frames = 0;
  const double mel_ms = best_ms(3, [&] { frames = compute_log_mel(speech, e2b)->frames; });
  std::printf("media: log-mel %.0f s 16 kHz (128 bins, %lld frames): %.1f ms\n", seconds, static_cast<long long>(frames),
              mel_ms);

  AudioClip stereo;
  stereo.sample_rate = 44100;
  stereo.channels = 2;
  stereo.frames = static_cast<int64_t>(seconds * 44100);
  stereo.samples.resize(static_cast<size_t>(stereo.frames) * 2);
  for (size_t i = 0; i < stereo.samples.size(); ++i) stereo.samples[i] = 0.2f * std::sin(0.01f * i);
  const double resample_ms = best_ms(3, [&] { (void)resample_rate(downmix_mean(stereo), 44100, 16000); });
  std::printf("media: downmix + resample_poly %.0f s 44.1 kHz stereo -> 16 kHz: %.1f ms\n", seconds, resample_ms);

  const int width = static_cast<int>(std::lround(std::sqrt(megapixels * 1e6 * 4.0 / 3.0)));
  const int height = width * 3 / 4;
  std::vector<uint8_t> jpeg = synthetic_jpeg(width, height);
  RgbImage image;
  const double decode_ms = best_ms(3, [&] { image = *decode_image(jpeg.data(), jpeg.size(), "bench.jpg"); });
  ImageProcessorConfig config;  // E2B: patch 16, pooling 3, 280 soft tokens
  int64_t tokens = 0;
  const double preprocess_ms = best_ms(3, [&] { tokens = preprocess_image(image, config)->soft_tokens; });
  std::printf("media: %dx%d JPEG (%.1f MP, %zu bytes): decode %.1f ms, resize + patchify to %lld soft tokens %.1f ms\n",
              width, height, width * height / 1e6, jpeg.size(), decode_ms, static_cast<long long>(tokens),
              preprocess_ms);
  return 0;
}
