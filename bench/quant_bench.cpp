// bench/quant: throughput of every quantization scheme on one bf16 N(0, 0.02) matrix, vs a plain scalar baseline.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <sys/resource.h>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "quant/scheme.h"

namespace {

using hfb::QuantParams;
using hfb::Scheme;
using hfb::SourceMatrix;

double cpu_seconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

struct Timing {
  double wall = 1e30;  // best wall-clock seconds
  double cpu = 1e30;   // CPU seconds (all threads) of that run
};

// Best of `repeats`. On a shared machine wall time is inflated by other load; CPU time is not.
Timing time_of(const std::function<void()>& fn, int repeats) {
  Timing best;
  for (int i = 0; i < repeats; ++i) {
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (wall < best.wall) best = Timing{wall, cpu_seconds() - c0};
  }
  return best;
}

float widen(uint16_t b) { return hfb::bf16_to_f32(b); }

// Plain scalar baselines: one thread, one element at a time, as a first implementation would be.
void baseline_absmax(const SourceMatrix& s, int qmax, std::vector<int8_t>& q, std::vector<float>& scales) {
  const uint16_t* p = static_cast<const uint16_t*>(s.data);
  for (int64_t r = 0; r < s.rows; ++r) {
    float amax = 0;
    for (int64_t c = 0; c < s.cols; ++c) amax = std::max(amax, std::fabs(widen(p[r * s.cols + c])));
    const float d = hfb::f16_to_f32(hfb::f32_to_f16(amax / qmax));
    scales[r] = d;
    for (int64_t c = 0; c < s.cols; ++c) {
      const float v = std::round(widen(p[r * s.cols + c]) / d);
      q[r * s.cols + c] = static_cast<int8_t>(std::max<float>(-qmax, std::min<float>(qmax, v)));
    }
  }
}

void baseline_q4_0(const SourceMatrix& s, std::vector<uint8_t>& out) {
  const uint16_t* p = static_cast<const uint16_t*>(s.data);
  const int64_t nb = s.rows * s.cols / 32;
  for (int64_t i = 0; i < nb; ++i) {
    float x[32], amax = 0, max = 0;
    for (int j = 0; j < 32; ++j) x[j] = widen(p[i * 32 + j]);
    for (int j = 0; j < 32; ++j) {
      if (amax < std::fabs(x[j])) { amax = std::fabs(x[j]); max = x[j]; }
    }
    const float d = max / -8, id = d != 0 ? 1.0f / d : 0.0f;
    const uint16_t h = hfb::f32_to_f16(d);
    std::memcpy(&out[i * 18], &h, 2);
    for (int j = 0; j < 16; ++j) {
      const int a = std::min(15, static_cast<int>(x[j] * id + 8.5f));
      const int b = std::min(15, static_cast<int>(x[j + 16] * id + 8.5f));
      out[i * 18 + 2 + j] = static_cast<uint8_t>(a | (b << 4));
    }
  }
}

void baseline_q8_0(const SourceMatrix& s, std::vector<uint8_t>& out) {
  const uint16_t* p = static_cast<const uint16_t*>(s.data);
  const int64_t nb = s.rows * s.cols / 32;
  for (int64_t i = 0; i < nb; ++i) {
    float x[32], amax = 0;
    for (int j = 0; j < 32; ++j) x[j] = widen(p[i * 32 + j]);
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127, id = d != 0 ? 1.0f / d : 0.0f;
    const uint16_t h = hfb::f32_to_f16(d);
    std::memcpy(&out[i * 34], &h, 2);
    for (int j = 0; j < 32; ++j) out[i * 34 + 2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::round(x[j] * id)));
  }
}

struct Case {
  std::string label;
  Scheme scheme;
  QuantParams params;
  std::function<void()> baseline;  // empty: the library's scalar single-thread reference
  const char* target;
};

}  // namespace

int main(int argc, char** argv) {
  const int64_t rows = argc > 1 ? std::atoll(argv[1]) : 2048;
  const int64_t cols = argc > 2 ? std::atoll(argv[2]) : 8192;
  std::vector<uint16_t> data(static_cast<size_t>(rows * cols));
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (auto& v : data) v = hfb::f32_to_bf16(normal(rng));
  const SourceMatrix src{data.data(), hfb::DTypeId::kBF16, rows, cols, "bench"};
  const double n = static_cast<double>(rows * cols);

  std::vector<int8_t> q(data.size());
  std::vector<float> scales(static_cast<size_t>(rows));
  std::vector<uint8_t> blocks(data.size() / 32 * 34);
  QuantParams base;
  base.num_threads = 2;
  base.compute_metrics = false;
  QuantParams tensor = base, g32 = base;
  tensor.per_tensor = true;
  g32.group_size = 32;
  std::vector<Case> cases = {
      {"int8 per row", Scheme::kInt8, base, [&] { baseline_absmax(src, 127, q, scales); }, ">= 0.75 Gw/s"},
      {"int4 per row", Scheme::kInt4, base, [&] { baseline_absmax(src, 7, q, scales); }, ""},
      {"q4_0", Scheme::kQ4_0, base, [&] { baseline_q4_0(src, blocks); }, ">= 0.75 Gw/s"},
      {"q8_0", Scheme::kQ8_0, base, [&] { baseline_q8_0(src, blocks); }, ""},
      {"kmeans4 per tensor", Scheme::kKmeans4, tensor, nullptr, "<= 3 ns/w"},
      {"kmeans4 G=32", Scheme::kKmeans4, g32, nullptr, "<= 15 ns/w"},
      {"kmeans8 G=32", Scheme::kKmeans8, g32, nullptr, "<= 150 ns/w"},
  };
  std::printf("bench/quant: %lld x %lld bf16 N(0, 0.02), fast path on %d threads; baseline = 1 thread scalar\n",
              static_cast<long long>(rows), static_cast<long long>(cols), base.num_threads);
  std::printf("2-core figures = weights / (CPU seconds / 2): what both cores give when nobody else runs.\n");
  std::printf("%-19s %8s %8s %8s %9s | %8s %9s | %7s  %s\n", "scheme", "wall", "wall", "2-core", "2-core",
              "base", "base", "speedup", "target");
  std::printf("%-19s %8s %8s %8s %9s | %8s %9s | %7s\n", "", "Gw/s", "ns/w", "Gw/s", "GB/s bf16", "Gw/s",
              "ns/w", "(cpu)");
  for (const Case& c : cases) {
    const Timing fast = time_of([&] { auto r = hfb::quantize(c.scheme, src, c.params); (void)r; }, 3);
    const Timing slow = c.baseline ? time_of(c.baseline, 2)
                                   : time_of([&] { auto r = hfb::quantize_reference(c.scheme, src, c.params); (void)r; }, 1);
    const double fast2 = fast.cpu / 2;  // seconds on two otherwise idle cores
    std::printf("%-19s %8.3f %8.2f %8.3f %9.2f | %8.3f %9.2f | %6.1fx  %s\n", c.label.c_str(), n / fast.wall / 1e9,
                fast.wall / n * 1e9, n / fast2 / 1e9, 2 * n / fast2 / 1e9, n / slow.cpu / 1e9, slow.cpu / n * 1e9,
                slow.cpu / fast2, c.target);
  }
  QuantParams with_metrics = base;
  with_metrics.compute_metrics = true;
  const Timing m = time_of([&] { auto r = hfb::quantize(Scheme::kQ4_0, src, with_metrics); (void)r; }, 3);
  std::printf("q4_0 with metrics (extra decode pass): %.2f ns/w (2-core)\n", m.cpu / 2 / n * 1e9);
  std::printf("kmeans baselines are quantize_reference (1 thread, sort-based histogram, same exact DP).\n");
  return 0;
}
