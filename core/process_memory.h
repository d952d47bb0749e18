// Process memory figures from /proc/self/status: resident set peak (VmHWM) and anonymous memory (RssAnon),
// with a sampler that tracks RssAnon's high-water mark (the kernel keeps none).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace hfb {

struct ProcessMemory {
  uint64_t rss_bytes = 0;       ///< VmRSS
  uint64_t peak_rss_bytes = 0;  ///< VmHWM: the kernel's resident high-water mark (file pages included)
  uint64_t anon_bytes = 0;      ///< RssAnon: heap, stacks, anonymous maps (not mapped files)
};

/// Reads /proc/self/status; zeros where the platform has no such file or field.
ProcessMemory read_process_memory();

/// Samples RssAnon every `interval_ms` on a background thread (and on every sample() call) and keeps the
/// largest value seen. Stops and joins on destruction.
class AnonPeakSampler {
 public:
  explicit AnonPeakSampler(int interval_ms = 5);
  ~AnonPeakSampler();
  AnonPeakSampler(const AnonPeakSampler&) = delete;
  AnonPeakSampler& operator=(const AnonPeakSampler&) = delete;

  /// Samples now and returns the high-water mark so far.
  uint64_t sample();
  uint64_t peak_anon_bytes() const { return peak_.load(); }

 private:
  void loop(int interval_ms);
  std::atomic<uint64_t> peak_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace hfb
