// Gemma 4 audio features: Gemma4AudioFeatureExtractor's log-mel spectrogram, valid-frame mask and soft-token count.
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"

namespace hfb::media {

/// Gemma4AudioFeatureExtractor settings (class defaults; processor_config.json may override them).
struct AudioFeatureConfig {
  int feature_size = 128;        ///< mel bins
  int sampling_rate = 16000;
  int frame_length = 320;        ///< samples (20 ms)
  int hop_length = 160;          ///< samples (10 ms)
  bool fft_overdrive = false;    ///< doubles the FFT length
  double min_frequency = 0.0;
  double max_frequency = 8000.0;
  double mel_floor = 1e-3;
  double preemphasis = 0.0;
  bool preemphasis_htk_flavor = true;
  double input_scale_factor = 1.0;
  double dither = 0.0;           ///< must be 0: dithering is random, hfbundle's output is deterministic
  std::vector<double> per_bin_mean;    ///< empty or feature_size values
  std::vector<double> per_bin_stddev;  ///< empty or feature_size values
  int64_t max_samples = 480000;  ///< longer waveforms are truncated (30 s), as the extractor's max_length
  int pad_to_multiple_of = 128;
  int audio_seq_length = 750;    ///< the processor's cap on soft tokens (only _compute_audio_num_tokens applies it)

  int fft_length() const;
};

/// Checks the settings (positive sizes, frame <= FFT, frequencies within Nyquist, dither 0, per-bin sizes).
/// Fails with kInvalidArgument / kUnsupported naming the setting.
Status validate_audio_config(const AudioFeatureConfig& config);

/// What the feature extractor returns for one waveform.
struct AudioFeatures {
  int64_t frames = 0;
  int mel_bins = 0;
  std::vector<float> input_features;         ///< [frames, mel_bins], invalid frames 0
  std::vector<uint8_t> input_features_mask;  ///< [frames], 1 = the frame's last sample is a real sample
  int64_t padded_samples = 0;
  int64_t soft_tokens = 0;  ///< <|audio|> ids the processor inserts: valid frames after two stride-2 reductions
};

/// Log-mel features of a mono float waveform at config.sampling_rate: truncate to max_samples, zero-pad to a
/// multiple of pad_to_multiple_of, prepend frame_length/2 zeros, frames of frame_length+1 every hop (last sample
/// dropped unless preemphasis uses it), float32 periodic Hann window, |rfft| (float64), HTK mel bank (float64,
/// no norm), log(mel + mel_floor), optional per-bin normalisation, float32. Fails like validate_audio_config and
/// with kInvalidArgument for an empty waveform.
Result<AudioFeatures> compute_log_mel(const std::vector<float>& waveform, const AudioFeatureConfig& config);

/// The processor's soft-token count from a frame mask: twice t -> (t - 1) / 2 + 1, mask[::2][:t]; then the sum.
int64_t audio_soft_tokens_from_mask(const std::vector<uint8_t>& mask);

/// The reduced mask itself (the audio tower's output mask, one entry per subsampled frame).
std::vector<uint8_t> audio_output_mask(const std::vector<uint8_t>& mask);

/// The HTK mel filter bank [fft_length/2 + 1, feature_size] (row-major), transformers' mel_filter_bank(norm=None).
std::vector<double> htk_mel_filter_bank(const AudioFeatureConfig& config);

}  // namespace hfb::media
