// Gemma4AudioFeatureExtractor restated in C++ (feature_extraction_gemma4.py at decba1d): framing, window, FFT, mel.
#include "readers/media/log_mel.h"

#include <algorithm>
#include <cmath>
#include <complex>

namespace hfb::media {
namespace {

double hertz_to_mel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double mel_to_hertz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

/// np.hanning(frame + 1)[:-1] cast to float32.
std::vector<float> periodic_hann(int length) {
  std::vector<float> w(static_cast<size_t>(length));
  for (int n = 0; n < length; ++n) {
    w[static_cast<size_t>(n)] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * M_PI * n / static_cast<double>(length)));
  }
  return w;
}

/// In-place iterative radix-2 FFT (size a power of two) with precomputed twiddles.
class Fft {
 public:
  explicit Fft(int n) : n_(n), twiddle_(static_cast<size_t>(n / 2)), bitrev_(static_cast<size_t>(n)) {
    for (int k = 0; k < n / 2; ++k) twiddle_[static_cast<size_t>(k)] = std::polar(1.0, -2.0 * M_PI * k / n);
    int bits = 0;
    while ((1 << bits) < n) ++bits;
    for (int i = 0; i < n; ++i) {
      int r = 0;
      for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
      bitrev_[static_cast<size_t>(i)] = r;
    }
  }
  void run(std::vector<std::complex<double>>& a) const {
    for (int i = 0; i < n_; ++i) {
      int r = bitrev_[static_cast<size_t>(i)];
      if (i < r) std::swap(a[static_cast<size_t>(i)], a[static_cast<size_t>(r)]);
    }
    for (int len = 2; len <= n_; len <<= 1) {
      const int step = n_ / len;
      for (int i = 0; i < n_; i += len) {
        for (int k = 0; k < len / 2; ++k) {
          const std::complex<double> t = twiddle_[static_cast<size_t>(k * step)] * a[static_cast<size_t>(i + k + len / 2)];
          a[static_cast<size_t>(i + k + len / 2)] = a[static_cast<size_t>(i + k)] - t;
          a[static_cast<size_t>(i + k)] += t;
        }
      }
    }
  }

 private:
  int n_;
  std::vector<std::complex<double>> twiddle_;
  std::vector<int> bitrev_;
};

/// The frame_length samples fed to the window (no preemphasis: the first frame_length of the frame_length+1).
void frame_samples(const float* raw, const AudioFeatureConfig& config, std::vector<float>& out) {
  const int len = config.frame_length;
  if (config.preemphasis <= 0.0) {
    for (int i = 0; i < len; ++i) out[static_cast<size_t>(i)] = raw[i];
    return;
  }
  const float p = static_cast<float>(config.preemphasis);
  if (config.preemphasis_htk_flavor) {
    out[0] = raw[0] * (1.0f - p);
    for (int i = 1; i < len; ++i) out[static_cast<size_t>(i)] = raw[i] - p * raw[i - 1];
  } else {
    for (int i = 0; i < len; ++i) out[static_cast<size_t>(i)] = raw[i + 1] - p * raw[i];
  }
}

/// The bank's non-zero span per mel filter, weights contiguous: skipping exact zeros leaves every sum unchanged.
struct SparseMelBank {
  std::vector<int> first;
  std::vector<int> count;
  std::vector<std::vector<double>> weights;
};

SparseMelBank sparse_bank(const std::vector<double>& bank, int bins, int mels) {
  SparseMelBank out;
  out.first.assign(static_cast<size_t>(mels), 0);
  out.count.assign(static_cast<size_t>(mels), 0);
  out.weights.resize(static_cast<size_t>(mels));
  for (int m = 0; m < mels; ++m) {
    int lo = bins, hi = -1;
    for (int k = 0; k < bins; ++k) {
      if (bank[static_cast<size_t>(k) * mels + m] != 0.0) {
        lo = std::min(lo, k);
        hi = k;
      }
    }
    if (hi < lo) continue;
    out.first[static_cast<size_t>(m)] = lo;
    out.count[static_cast<size_t>(m)] = hi - lo + 1;
    for (int k = lo; k <= hi; ++k) out.weights[static_cast<size_t>(m)].push_back(bank[static_cast<size_t>(k) * mels + m]);
  }
  return out;
}

}  // namespace

int AudioFeatureConfig::fft_length() const {
  int n = 1;
  while (n < frame_length) n <<= 1;
  return fft_overdrive ? n * 2 : n;
}

Status validate_audio_config(const AudioFeatureConfig& c) {
  auto bad = [](const std::string& what) { return Error(ErrorCode::kInvalidArgument, "audio feature config: " + what); };
  if (c.feature_size < 1 || c.feature_size > 4096) return bad("feature_size " + std::to_string(c.feature_size) + ", expected 1..4096");
  if (c.sampling_rate < 1) return bad("sampling_rate must be positive");
  if (c.frame_length < 2 || c.frame_length > (1 << 16)) return bad("frame_length " + std::to_string(c.frame_length) + ", expected 2..65536");
  if (c.hop_length < 1) return bad("hop_length must be positive");
  if (!(c.min_frequency >= 0.0) || !(c.max_frequency > c.min_frequency) || c.max_frequency > c.sampling_rate / 2.0 + 1e-9) {
    return bad("mel range " + std::to_string(c.min_frequency) + ".." + std::to_string(c.max_frequency) +
               " Hz, expected 0 <= min < max <= sampling_rate / 2");
  }
  if (!(c.mel_floor > 0.0)) return bad("mel_floor must be positive");
  if (c.dither != 0.0) {
    return Error(ErrorCode::kUnsupported, "audio feature config: dither " + std::to_string(c.dither) +
                                              " adds random noise; hfbundle's features are deterministic (dither 0)");
  }
  auto check_bins = [&](const std::vector<double>& v, const char* name) -> Status {
    if (!v.empty() && static_cast<int>(v.size()) != c.feature_size) {
      return bad(std::string(name) + " has " + std::to_string(v.size()) + " values, expected feature_size " +
                 std::to_string(c.feature_size));
    }
    return ok_status();
  };
  HFB_TRY(check_bins(c.per_bin_mean, "per_bin_mean"));
  HFB_TRY(check_bins(c.per_bin_stddev, "per_bin_stddev"));
  if (c.max_samples < 1 || c.pad_to_multiple_of < 1) return bad("max_samples and pad_to_multiple_of must be positive");
  return ok_status();
}

std::vector<double> htk_mel_filter_bank(const AudioFeatureConfig& c) {
  const int bins = c.fft_length() / 2 + 1;
  const int mels = c.feature_size;
  const double mel_min = hertz_to_mel(c.min_frequency);
  const double mel_max = hertz_to_mel(c.max_frequency);
  std::vector<double> filter_freqs(static_cast<size_t>(mels + 2));
  for (int i = 0; i < mels + 2; ++i) {
    // np.linspace: start + i * step, with the last point exactly the stop.
    const double step = (mel_max - mel_min) / static_cast<double>(mels + 1);
    const double mel = i == mels + 1 ? mel_max : mel_min + i * step;
    filter_freqs[static_cast<size_t>(i)] = mel_to_hertz(mel);
  }
  std::vector<double> bank(static_cast<size_t>(bins) * mels);
  const double nyquist = static_cast<double>(c.sampling_rate / 2);
  for (int f = 0; f < bins; ++f) {
    const double step = nyquist / static_cast<double>(bins - 1);
    const double fft_freq = f == bins - 1 ? nyquist : f * step;
    for (int m = 0; m < mels; ++m) {
      const double down = -(filter_freqs[static_cast<size_t>(m)] - fft_freq) /
                          (filter_freqs[static_cast<size_t>(m + 1)] - filter_freqs[static_cast<size_t>(m)]);
      const double up = (filter_freqs[static_cast<size_t>(m + 2)] - fft_freq) /
                        (filter_freqs[static_cast<size_t>(m + 2)] - filter_freqs[static_cast<size_t>(m + 1)]);
      bank[static_cast<size_t>(f) * mels + m] = std::max(0.0, std::min(down, up));
    }
  }
  return bank;
}

int64_t audio_soft_tokens_from_mask(const std::vector<uint8_t>& mask) {
  int64_t sum = 0;
  for (uint8_t v : audio_output_mask(mask)) sum += v != 0;
  return sum;
}

std::vector<uint8_t> audio_output_mask(const std::vector<uint8_t>& mask) {
  std::vector<uint8_t> current = mask;
  for (int pass = 0; pass < 2; ++pass) {
    const int64_t t = static_cast<int64_t>(current.size());
    const int64_t t_out = t == 0 ? 0 : (t - 1) / 2 + 1;
    std::vector<uint8_t> next;
    for (int64_t i = 0; i < t_out && 2 * i < t; ++i) next.push_back(current[static_cast<size_t>(2 * i)]);
    current.swap(next);
  }
  return current;
}

namespace {

/// One frame's log-mel row: window, |rfft|, sparse mel bank, log, per-bin normalisation. Buffers reused.
class LogMelFrame {
 public:
  explicit LogMelFrame(const AudioFeatureConfig& c)
      : c_(c),
        fft_n_(c.fft_length()),
        bins_(fft_n_ / 2 + 1),
        window_(periodic_hann(c.frame_length)),
        bank_(sparse_bank(htk_mel_filter_bank(c), bins_, c.feature_size)),
        fft_(fft_n_),
        frame_(static_cast<size_t>(c.frame_length)),
        spectrum_(static_cast<size_t>(fft_n_)),
        magnitude_(static_cast<size_t>(bins_)) {}

  /// `raw` points at the frame's frame_length + 1 samples; writes feature_size values to `row`.
  void compute(const float* raw, float* row) {
    frame_samples(raw, c_, frame_);
    for (int i = 0; i < fft_n_; ++i) {
      const double v = i < c_.frame_length ? static_cast<double>(frame_[static_cast<size_t>(i)] * window_[static_cast<size_t>(i)]) : 0.0;
      spectrum_[static_cast<size_t>(i)] = {v, 0.0};
    }
    fft_.run(spectrum_);
    for (int k = 0; k < bins_; ++k) magnitude_[static_cast<size_t>(k)] = std::abs(spectrum_[static_cast<size_t>(k)]);
    for (int m = 0; m < c_.feature_size; ++m) {
      const size_t mi = static_cast<size_t>(m);
      double mel = 0.0;
      const double* w = bank_.weights[mi].data();
      const double* mag = magnitude_.data() + bank_.first[mi];
      for (int k = 0; k < bank_.count[mi]; ++k) mel += mag[k] * w[k];
      double v = std::log(mel + c_.mel_floor);
      if (!c_.per_bin_mean.empty()) v -= c_.per_bin_mean[mi];
      if (!c_.per_bin_stddev.empty()) v /= c_.per_bin_stddev[mi];
      row[m] = static_cast<float>(v);
    }
  }

 private:
  const AudioFeatureConfig& c_;
  int fft_n_;
  int bins_;
  std::vector<float> window_;
  SparseMelBank bank_;
  Fft fft_;
  std::vector<float> frame_;
  std::vector<std::complex<double>> spectrum_;
  std::vector<double> magnitude_;
};

}  // namespace

Result<AudioFeatures> compute_log_mel(const std::vector<float>& waveform, const AudioFeatureConfig& c) {
  HFB_TRY(validate_audio_config(c));
  if (waveform.empty()) return Error(ErrorCode::kInvalidArgument, "audio features: empty waveform (zero samples)");
  const int64_t real = std::min<int64_t>(static_cast<int64_t>(waveform.size()), c.max_samples);
  const int64_t padded = (real + c.pad_to_multiple_of - 1) / c.pad_to_multiple_of * c.pad_to_multiple_of;
  const int64_t pad_left = c.frame_length / 2;
  const int64_t total = pad_left + padded;
  const int64_t unfold = c.frame_length + 1;
  AudioFeatures out;
  out.padded_samples = padded;
  out.mel_bins = c.feature_size;
  out.frames = total >= unfold ? (total - unfold) / c.hop_length + 1 : 0;
  // float32 waveform times a Python float is float32 arithmetic in numpy.
  const float scale = static_cast<float>(c.input_scale_factor);
  std::vector<float> signal(static_cast<size_t>(total), 0.0f);
  for (int64_t i = 0; i < real; ++i) {
    const float v = waveform[static_cast<size_t>(i)];
    signal[static_cast<size_t>(pad_left + i)] = c.input_scale_factor != 1.0 ? v * scale : v;
  }
  LogMelFrame frame(c);
  out.input_features.assign(static_cast<size_t>(out.frames) * c.feature_size, 0.0f);
  out.input_features_mask.assign(static_cast<size_t>(out.frames), 0);
  for (int64_t t = 0; t < out.frames; ++t) {
    const int64_t start = t * c.hop_length;
    const int64_t last = start + unfold - 1;  // valid iff the frame's last sample is a real sample
    if (!(last >= pad_left && last < pad_left + real)) continue;  // invalid frames stay 0
    out.input_features_mask[static_cast<size_t>(t)] = 1;
    frame.compute(signal.data() + start, out.input_features.data() + t * c.feature_size);
  }
  out.soft_tokens = audio_soft_tokens_from_mask(out.input_features_mask);
  return out;
}

}  // namespace hfb::media
