// Process memory: /proc figures are read, and the sampler sees an anonymous allocation's peak after it is freed.
#include "core/process_memory.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

namespace hfb {
namespace {

TEST(ProcessMemory, ReadsResidentAndAnonymousFigures) {
  const ProcessMemory m = read_process_memory();
  EXPECT_GT(m.rss_bytes, 0u);
  EXPECT_GE(m.peak_rss_bytes, m.rss_bytes);
  EXPECT_GT(m.anon_bytes, 0u);
  EXPECT_LE(m.anon_bytes, m.rss_bytes);
}

// NoSanitizer: ASan's quarantine keeps freed blocks resident, so the drop after free cannot be seen there.
TEST(ProcessMemory, SamplerKeepsTheAnonymousHighWaterMarkNoSanitizer) {
  AnonPeakSampler sampler(1000);
  const uint64_t before = sampler.sample();
  {
    const size_t size = 64u << 20;
    std::unique_ptr<char[]> block(new char[size]);
    std::memset(block.get(), 1, size);  // touch every page
    sampler.sample();
  }
  const uint64_t after_free = read_process_memory().anon_bytes;
  EXPECT_GE(sampler.peak_anon_bytes(), before + (48u << 20));
  EXPECT_GT(sampler.peak_anon_bytes(), after_free);
}

}  // namespace
}  // namespace hfb
