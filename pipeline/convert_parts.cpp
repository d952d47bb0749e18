// Pieces of a convert shared with requant: checkpoint directory, config hash, coverage records.
#include "pipeline/convert_parts.h"

#include <sys/stat.h>

#include "core/byte_source.h"
#include "core/limits.h"
#include "models/load_checkpoint.h"

namespace hfb {

std::string checkpoint_dir(const std::string& source) {
  // load_checkpoint accepts a directory or a file inside it; config.json sits in the directory.
  struct stat st {};  // stat, not open: a FIFO named config.json must not block here (the reader refuses it)
  if (::stat((source + "/" + kConfigFileName).c_str(), &st) == 0) return source;
  const size_t slash = source.rfind('/');
  return slash == std::string::npos ? std::string(".") : source.substr(0, slash);
}

uint64_t checkpoint_config_hash(const std::string& path) {
  auto read = read_small_file(path, limits().max_config_bytes, "config_bytes");
  if (!read.ok()) return 0;
  const std::string& bytes = *read;
  return bundle_xxh3(ByteSpan{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

BundleCoverageEntry bundle_coverage_entry(const CoverageEntry& e) {
  BundleCoverageEntry out;
  out.tensor = e.name;
  out.scheme = std::string(scheme_name(e.scheme));
  out.reason = e.reason;
  out.rule = e.reason.rfind("removed by pass", 0) == 0 ? "" : std::string(policy_rule_name(e.rule));
  out.bytes_before = e.bytes_before;
  out.bytes_after = e.bytes_after;
  if (e.metrics) {
    out.metrics = {{"snr_db", e.metrics->snr_db()},
                   {"max_rel_error", e.metrics->max_rel_error()},
                   {"max_abs_error", e.metrics->max_abs_error},
                   {"sse_per_weight", e.metrics->sse_per_weight()}};
  }
  return out;
}

}  // namespace hfb
