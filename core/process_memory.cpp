// Process memory figures from /proc/self/status and the RssAnon high-water sampler.
#include "core/process_memory.h"

#include <chrono>
#include <cstdio>
#include <cstring>

namespace hfb {
namespace {

/// "VmHWM:    123456 kB" -> bytes, when `line` starts with `key`.
bool parse_kb(const char* line, const char* key, uint64_t* out) {
  const size_t n = std::strlen(key);
  if (std::strncmp(line, key, n) != 0) return false;
  unsigned long long kb = 0;
  if (std::sscanf(line + n, " %llu", &kb) == 1) *out = static_cast<uint64_t>(kb) * 1024;
  return true;
}

}  // namespace

ProcessMemory read_process_memory() {
  ProcessMemory m;
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return m;
  char line[256];
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (parse_kb(line, "VmRSS:", &m.rss_bytes)) continue;
    if (parse_kb(line, "VmHWM:", &m.peak_rss_bytes)) continue;
    parse_kb(line, "RssAnon:", &m.anon_bytes);
  }
  std::fclose(f);
  return m;
}

AnonPeakSampler::AnonPeakSampler(int interval_ms) {
  sample();
  thread_ = std::thread([this, interval_ms] { loop(interval_ms); });
}

AnonPeakSampler::~AnonPeakSampler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t AnonPeakSampler::sample() {
  const uint64_t now = read_process_memory().anon_bytes;
  uint64_t seen = peak_.load();
  while (now > seen && !peak_.compare_exchange_weak(seen, now)) {
  }
  return peak_.load();
}

void AnonPeakSampler::loop(int interval_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(interval_ms));
    if (!stop_) sample();
  }
}

}  // namespace hfb
