// Timings of one `hfbundle run`: load, prefill and decode speed, weight bytes per token, peak memory; the
// stderr line (after llama.cpp's perf lines) and the "timings" JSON object.
#pragma once

#include <cstdint>
#include <string>

namespace hfb {

struct GreedyRun;

struct RunTimings {
  double load_s = 0;                     ///< opening the model (mapping, parsing, building the session)
  int64_t prompt_tokens = 0;
  double prompt_s = 0;                   ///< the prefill call
  int64_t decode_tokens = 0;             ///< tokens fed through decode steps
  double decode_s = 0;
  uint64_t weights_bytes_per_token = 0;  ///< weight bytes one decode step reads (mean over the steps)
  uint64_t peak_rss_bytes = 0;           ///< VmHWM (mapped file pages included)
  uint64_t peak_anon_bytes = 0;          ///< high-water of RssAnon (heap, activations, KV cache, scratch)
  std::string note;                      ///< e.g. "zstd data files decompressed into memory"

  double prompt_tokens_per_s() const { return prompt_s > 0 ? static_cast<double>(prompt_tokens) / prompt_s : 0; }
  double decode_tokens_per_s() const { return decode_s > 0 ? static_cast<double>(decode_tokens) / decode_s : 0; }
};

/// Fills the prompt/decode figures of `timings` from a finished run (load and memory are the caller's).
void add_greedy_timings(const GreedyRun& run, RunTimings* timings);

/// One line, e.g. "timings: load 1.20 s | prompt 13 tokens 0.52 s (25.00 tokens/s) | decode 31 tokens 9.10 s
/// (3.41 tokens/s, 1.42 GB weights/token) | peak RSS 3.71 GB, anon 0.41 GB".
std::string run_timings_line(const RunTimings& timings);

/// The JSON object {"load_s", "prompt_tokens", "prompt_tokens_per_s", "decode_tokens", "decode_tokens_per_s",
/// "weights_bytes_per_token", "peak_rss_bytes", "peak_anon_bytes"} (+ "note" when set), as text.
std::string run_timings_json(const RunTimings& timings);

}  // namespace hfb
