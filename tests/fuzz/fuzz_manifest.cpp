// libFuzzer target for the bundle manifest parser: bytes -> parse_bundle_manifest (protobuf parse + all
// manifest validation) -> config_from_proto. Invariants: no crash, every failure carries a code and a path.
#include <cstddef>
#include <cstdint>

#include "formats/bundle_format.h"
#include "readers/bundle/bundle_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hfb::BundleReadOptions options;
  options.limits.max_tensors = 4096;  // keep each input's work bounded
  auto manifest = hfb::parse_bundle_manifest(hfb::ByteSpan{data, size}, "<fuzz>/manifest.pb", options);
  if (!manifest.ok()) {
    const hfb::Error& e = manifest.error();
    if (e.path.empty() || e.message.empty() || e.code == hfb::ErrorCode::kInternal) __builtin_trap();
    return 0;
  }
  hfb::ModelConfig config = hfb::config_from_proto((*manifest)->config());
  (void)config;
  for (const auto& chunk : (*manifest)->chunks()) (void)hfb::bundle_chunk_kind_name(chunk.kind());
  return 0;
}
