// Parsing and validation of manifest.pb on its own (no files needed): what the fuzzer exercises.
#pragma once

#include <memory>
#include <string>

#include "core/byte_source.h"
#include "core/error.h"
#include "core/model_config.h"
#include "formats/bundle.pb.h"
#include "readers/bundle/bundle_reader.h"

namespace hfb {

/// Parses manifest bytes and runs validate_bundle_manifest. Fails with kLimit for an oversized manifest,
/// kInvalidFile for bytes that are not a manifest (bad protobuf, wrong magic), and as validation does.
Result<std::unique_ptr<bundle::Manifest>> parse_bundle_manifest(ByteSpan bytes, const std::string& path,
                                                               const BundleReadOptions& options);

/// Everything checkable without the files: version (kUnsupported for a newer major), alignment, file
/// names and sizes, tensors (names, roles, towers, dtypes, schemes, shapes), every segment inside its
/// file's raw bytes and aligned, chunk references. Errors name `path`, the tensor and the offset.
Status validate_bundle_manifest(const bundle::Manifest& manifest, const std::string& path,
                                const BundleReadOptions& options);

/// The resolved config stored in a manifest (inverse of writers/ config_to_proto).
ModelConfig config_from_proto(const bundle::ModelConfig& proto);

}  // namespace hfb
