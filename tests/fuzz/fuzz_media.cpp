// libFuzzer target for the media decoders' wrappers (readers/media): the same bytes go to the WAV decoder
// (libsndfile from memory + RIFF chunk check) and the PNG/JPEG decoder, with a small decode limit, and what
// decodes is pushed through the front-ends (log-mel on the first second, image preprocessing at budget 70).
// Invariants: no crash, no UB, every failure carries an error code. Seeds: fixtures/fuzz/media.
#include <cstddef>
#include <cstdint>

#include "readers/media/audio_decode.h"
#include "readers/media/image_decode.h"
#include "readers/media/image_features.h"
#include "readers/media/log_mel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hfb::media;
  auto audio = decode_audio(data, size, "fuzz");
  if (audio.ok() && audio->frames > 0) {
    std::vector<float> mono = downmix_mean(*audio);
    if (mono.size() > 16000) mono.resize(16000);
    AudioFeatureConfig config;
    config.feature_size = 24;
    (void)compute_log_mel(mono, config);
  }
  ImageLimits limits;
  limits.max_pixels = 1 << 20;
  auto image = decode_image(data, size, "fuzz", limits);
  if (image.ok()) {
    ImageProcessorConfig config;
    config.patch_size = 3;
    config.max_soft_tokens = 70;
    (void)preprocess_image(*image, config);
  }
  return 0;
}
