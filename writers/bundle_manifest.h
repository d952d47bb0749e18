// Manifest helpers for the writer: core::ModelConfig -> protobuf, and deterministic serialisation.
#pragma once

#include <string>

#include "core/error.h"
#include "core/model_config.h"
#include "formats/bundle.pb.h"

namespace hfb {

/// Fills `out` with every field of `config` (the inverse is readers/bundle: config_from_proto).
void config_to_proto(const ModelConfig& config, bundle::ModelConfig* out);

/// Serialises with protobuf's deterministic option, so equal manifests give equal bytes.
/// Fails with kLimit if the manifest exceeds protobuf's 2 GiB message limit.
Result<std::string> serialize_manifest(const bundle::Manifest& manifest);

}  // namespace hfb
