// RunTimings: figures from a greedy run, the stderr perf line and the JSON object.
#include "validators/run_timings.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "validators/parity_greedy.h"

namespace hfb {

void add_greedy_timings(const GreedyRun& run, RunTimings* timings) {
  timings->prompt_tokens = static_cast<int64_t>(run.prompt.size());
  timings->prompt_s = run.prefill_seconds;
  timings->decode_tokens = run.decode_calls;
  timings->decode_s = run.decode_seconds;
  timings->weights_bytes_per_token =
      run.decode_calls > 0 ? run.decode_weight_bytes / static_cast<uint64_t>(run.decode_calls) : 0;
}

std::string run_timings_line(const RunTimings& t) {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "timings: load %.2f s | prompt %lld tokens %.2f s (%.2f tokens/s) | decode %lld tokens %.2f s "
                "(%.2f tokens/s, %.3f GB weights/token) | peak RSS %.2f GB, anon %.2f GB",
                t.load_s, static_cast<long long>(t.prompt_tokens), t.prompt_s, t.prompt_tokens_per_s(),
                static_cast<long long>(t.decode_tokens), t.decode_s, t.decode_tokens_per_s(),
                static_cast<double>(t.weights_bytes_per_token) / 1e9, static_cast<double>(t.peak_rss_bytes) / 1e9,
                static_cast<double>(t.peak_anon_bytes) / 1e9);
  std::string line = buf;
  if (!t.note.empty()) line += " | " + t.note;
  return line;
}

std::string run_timings_json(const RunTimings& t) {
  nlohmann::json j = {{"load_s", t.load_s},
                      {"prompt_tokens", t.prompt_tokens},
                      {"prompt_tokens_per_s", t.prompt_tokens_per_s()},
                      {"decode_tokens", t.decode_tokens},
                      {"decode_tokens_per_s", t.decode_tokens_per_s()},
                      {"weights_bytes_per_token", t.weights_bytes_per_token},
                      {"peak_rss_bytes", t.peak_rss_bytes},
                      {"peak_anon_bytes", t.peak_anon_bytes}};
  if (!t.note.empty()) j["note"] = t.note;
  return j.dump();
}

}  // namespace hfb
