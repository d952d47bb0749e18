// WAV (and other libsndfile formats) decoding to float32 samples, plus the channel-mean downmix.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace hfb::media {

/// Decoded audio: interleaved float32 samples in [-1, 1] (PCM scaled by 1 / 2^(bits-1), float kept as stored).
struct AudioClip {
  int sample_rate = 0;
  int channels = 0;
  int64_t frames = 0;
  std::vector<float> samples;  ///< frames * channels, interleaved
};

/// Longest clip decoded (samples per channel before resampling): 1 hour at 192 kHz.
constexpr int64_t kMaxAudioFrames = int64_t{192000} * 3600;
/// Most channels accepted.
constexpr int kMaxAudioChannels = 64;

/// Decodes an in-memory audio file (WAV: PCM 8/16/24/32-bit, float32/64; anything else libsndfile reads).
/// Only the first `max_seconds` are decoded (memory stays bounded; the feature extractor keeps 30 s anyway);
/// AudioClip::frames says how many were. `name` labels errors. Fails with kInvalidFile for bytes libsndfile
/// cannot parse (truncated, not audio), zero frames, or a WAV whose header claims more frames than its bytes
/// hold; kLimit beyond kMaxAudioFrames / kMaxAudioChannels; kInvalidArgument for a bad rate.
Result<AudioClip> decode_audio(const uint8_t* data, size_t size, const std::string& name,
                               double max_seconds = 3600.0);

/// Reads and decodes `path`. Fails with kIo when the file cannot be read, else like decode_audio.
Result<AudioClip> read_audio_file(const std::string& path, double max_seconds = 3600.0);

/// Channel mean in float32, as librosa.to_mono (sum in channel order, then divide by the count).
std::vector<float> downmix_mean(const AudioClip& clip);

}  // namespace hfb::media
