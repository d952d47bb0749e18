// What `hfbundle inspect BUNDLE` shows and extracts: the manifest as text or JSON, a tensor's stored bytes, and
// its float32 values (decoded per scheme). Raw layouts: docs/formats/bundle.md "Raw tensor bytes".
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "quant/scheme.h"
#include "readers/bundle/bundle_reader.h"

namespace hfb {

/// The `inspect BUNDLE --json` object: {"format": "hfbundle", "path", "container", "version": {"major", "minor"},
/// "producer", "source", "alignment", "config": {"architecture", "model_type", "text", "audio", "vision",
/// "generation", "token_ids"}, "files": [...], "chunks": [...], "text_graph": {"nodes", "values", "states"} | null,
/// "num_tensors", "total_bytes",
/// "bytes_by_scheme", "tensors": [{"name", "role", "tower", "layer", "chunk", "dtype", "scheme", "shape",
/// "num_bytes", "segments": [{"part", "file", "offset", "length", "xxh3"}], ...}], "passes": [...],
/// "coverage": [...]} (field list in docs/formats/bundle.md). Never fails.
std::string bundle_summary_json(const Bundle& bundle, int indent = 2);

/// The human report: version, source, config summary, chunks, files, bytes by scheme, one line per tensor,
/// pass report and coverage. Never fails.
std::string bundle_summary_text(const Bundle& bundle);

/// One tensor's manifest entry (role, chunk, dtype/scheme, shape, segments): the JSON object of
/// bundle_summary_json's "tensors" plus a newline, or readable lines. Never fails.
std::string bundle_tensor_summary(const BundleTensor& tensor, bool as_json);

/// The tensor named `name` (as in the source checkpoint). Fails with kNotFound naming the tensor and the bundle.
Result<const BundleTensor*> find_bundle_tensor(const Bundle& bundle, const std::string& name);

/// A scheme tensor (or a plain Q4_0/Q8_0 one) as the EncodedTensor quant/ decodes. Fails with kUnsupported for
/// an unknown scheme, kInvalidFile naming the tensor when its parts disagree with scheme and shape.
Result<EncodedTensor> bundle_tensor_to_encoded(const BundleTensor& tensor);

/// The scheme and parameters of an encoded tensor as bundle_tensor_to_encoded reads them, without any data.
Result<EncodedTensor> bundle_encoded_shell(const BundleTensor& tensor);

/// Every float32 value of the tensor, row-major: plain dtypes widened (integers converted), schemes decoded with
/// dequantize_rows. Fails like bundle_tensor_to_encoded, and with kUnsupported for a dtype with no float value.
Result<std::vector<float>> bundle_tensor_to_f32(const BundleTensor& tensor);

/// Writes the tensor's stored bytes to `path`: its segments concatenated in stored order (a plain tensor: its
/// "data" bytes; a scheme tensor: codes, then scales, then lut, as stored). Atomic (temp file + rename).
/// Fails with kIo naming `path`.
Status write_bundle_tensor_raw(const BundleTensor& tensor, const std::string& path);

/// Writes bundle_tensor_to_f32 to `path` as little-endian float32, row-major, in row blocks. Atomic.
/// Fails like bundle_tensor_to_f32, and with kIo naming `path`.
Status write_bundle_tensor_f32(const BundleTensor& tensor, const std::string& path);

}  // namespace hfb
