// Resource limits for untrusted inputs, in one place (docs/limits.md): every count or size read from a file or
// an argument is compared with these before anything is allocated from it. `--limit NAME=VALUE` overrides one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace hfb {

struct Limits {
  int64_t max_layers = 1024;                ///< decoder / tower layers of a config
  int64_t max_heads = 1024;                 ///< attention heads (query or KV)
  int64_t max_dim = int64_t{1} << 20;       ///< hidden, intermediate and head dims
  int64_t max_vocab = int64_t{1} << 22;     ///< vocabulary entries
  int64_t max_window = int64_t{1} << 24;    ///< sliding_window (the KV ring grows with the sequence anyway)
  int64_t max_positions = int64_t{1} << 20; ///< tokens a session may hold (prompt + generated)
  uint64_t max_header_bytes = 100ull << 20; ///< safetensors JSON header
  uint64_t max_tensors = 1ull << 17;        ///< tensors in one safetensors file / manifest (counted pre-DOM)
  uint64_t max_config_bytes = 16ull << 20;  ///< config.json, generation_config.json, index, golden JSON
  uint64_t max_file_bytes = 1ull << 40;     ///< raw or stored size of one bundle file
  uint64_t max_compression_ratio = 64;      ///< a compressed file's raw size <= stored size x this
  int64_t max_prompts = 1 << 16;            ///< prompts of verify --random-prompts / --prompt-ids-file
  uint64_t max_prompt_file_bytes = 64ull << 20;  ///< --prompt-ids-file
};

/// The limits in force (process-wide; defaults unless set_limits was called).
const Limits& limits();
void set_limits(const Limits& limits);

/// Parses "NAME=VALUE" (NAME a field above without "max_", e.g. "layers=4096") into `limits`.
/// kInvalidArgument naming the known names for an unknown name or a value that is not a positive integer.
Status apply_limit_override(const std::string& item, Limits* limits);
/// The names apply_limit_override accepts.
std::vector<std::string> limit_names();

/// kLimit "<what> <value> is above the limit of <limit> (--limit <name>=N raises it)" when value > limit.
Status check_limit(const char* what, uint64_t value, uint64_t limit, const char* name);

}  // namespace hfb
