// scipy.signal.resample_poly restated: firwin (Kaiser beta 5) design, zero pre/post padding, polyphase upfirdn.
#include "readers/media/resample.h"

#include <cmath>
#include <numeric>

namespace hfb::media {
namespace {

/// Modified Bessel function of the first kind, order 0 (power series; converges to double precision here).
double bessel_i0(double x) {
  double sum = 1.0;
  double term = 1.0;
  const double q = x * x / 4.0;
  for (int k = 1; k < 200; ++k) {
    term *= q / (static_cast<double>(k) * k);
    sum += term;
    if (term < sum * 1e-18) break;
  }
  return sum;
}

double sinc(double x) {
  if (x == 0.0) return 1.0;
  const double y = M_PI * x;
  return std::sin(y) / y;
}

/// firwin(taps, cutoff, window=('kaiser', beta)) with pass_zero and scale (DC gain 1), nyquist = 1.
std::vector<double> design_lowpass(int64_t taps, double cutoff, double beta) {
  std::vector<double> h(static_cast<size_t>(taps));
  const double alpha = 0.5 * static_cast<double>(taps - 1);
  const double i0_beta = bessel_i0(beta);
  double sum = 0.0;
  for (int64_t n = 0; n < taps; ++n) {
    const double m = static_cast<double>(n) - alpha;
    const double r = m / alpha;
    const double window = bessel_i0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0_beta;
    h[static_cast<size_t>(n)] = cutoff * sinc(cutoff * m) * window;
    sum += h[static_cast<size_t>(n)];
  }
  for (double& v : h) v /= sum;
  return h;
}

int64_t upfirdn_output_len(int64_t len_h, int64_t in_len, int64_t up, int64_t down) {
  return (((in_len - 1) * up + len_h) - 1) / down + 1;
}

}  // namespace

Result<std::vector<float>> resample_poly(const std::vector<float>& x, int64_t up, int64_t down, int64_t max_output) {
  if (x.empty()) return Error(ErrorCode::kInvalidArgument, "resample: empty input");
  if (up < 1 || down < 1) {
    return Error(ErrorCode::kInvalidArgument,
                 "resample: up " + std::to_string(up) + " / down " + std::to_string(down) + ", expected >= 1");
  }
  const int64_t g = std::gcd(up, down);
  up /= g;
  down /= g;
  if (up == 1 && down == 1) return x;
  const int64_t n_in = static_cast<int64_t>(x.size());
  if (n_in > max_output / up) return Error(ErrorCode::kLimit, "resample: output too long");
  const int64_t n_out = (n_in * up + down - 1) / down;
  const int64_t max_rate = std::max(up, down);
  const int64_t half_len = 10 * max_rate;
  std::vector<double> h = design_lowpass(2 * half_len + 1, 1.0 / static_cast<double>(max_rate), 5.0);
  for (double& v : h) v *= static_cast<double>(up);
  const int64_t pre_pad = down - half_len % down;
  const int64_t pre_remove = (half_len + pre_pad) / down;
  int64_t post_pad = 0;
  while (upfirdn_output_len(static_cast<int64_t>(h.size()) + pre_pad + post_pad, n_in, up, down) <
         n_out + pre_remove) {
    ++post_pad;
  }
  std::vector<double> filter(static_cast<size_t>(pre_pad), 0.0);
  filter.insert(filter.end(), h.begin(), h.end());
  filter.resize(filter.size() + static_cast<size_t>(post_pad), 0.0);
  const int64_t len_h = static_cast<int64_t>(filter.size());
  std::vector<float> y(static_cast<size_t>(n_out));
  for (int64_t i = 0; i < n_out; ++i) {
    // Output sample (i + pre_remove) of the full upfirdn: position n in the upsampled signal.
    const int64_t n = (i + pre_remove) * down;
    double acc = 0.0;
    // filter[j] meets x[(n - j) / up] for j ≡ n (mod up); walk input indices downward.
    int64_t k = n / up;             // largest input index with j = n - k*up >= 0
    int64_t j = n - k * up;
    if (k >= n_in) {
      const int64_t skip = k - (n_in - 1);
      k -= skip;
      j += skip * up;
    }
    for (; j < len_h && k >= 0; j += up, --k) acc += filter[static_cast<size_t>(j)] * static_cast<double>(x[static_cast<size_t>(k)]);
    y[static_cast<size_t>(i)] = static_cast<float>(acc);
  }
  return y;
}

Result<std::vector<float>> resample_rate(const std::vector<float>& x, int from_rate, int to_rate) {
  if (from_rate < 1 || to_rate < 1) {
    return Error(ErrorCode::kInvalidArgument, "resample: rates " + std::to_string(from_rate) + " -> " +
                                                  std::to_string(to_rate) + " Hz, expected positive");
  }
  if (from_rate == to_rate) return x;
  return resample_poly(x, to_rate, from_rate);
}

}  // namespace hfb::media
