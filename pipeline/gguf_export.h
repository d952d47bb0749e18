// GGUF export: a checkpoint (`hfbundle convert CKPT --format gguf`) or an existing bundle (`hfbundle export`) ->
// a llama.cpp `gemma4` GGUF and, for the vision/audio towers, a `clip` mmproj GGUF. Streaming: every tensor is
// read in row blocks, converted or quantized, and appended; memory stays bounded whatever the model size.
// Deterministic: same input and options -> identical bytes, any thread count. docs/gguf.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/role.h"
#include "pipeline/model_source.h"
#include "pipeline/convert.h"
#include "pipeline/gguf_policy.h"

namespace hfb {

struct GgufExportOptions {
  std::string source;      ///< checkpoint directory or GGUF (convert) or bundle path (export)
  ModelSourceOptions model_source;  ///< a GGUF source's --mmproj / --config
  std::string out;         ///< model.gguf
  std::string mmproj_out;  ///< mmproj.gguf ("" : tower tensors are left out, with a warning)
  bool force = false;      ///< replace existing outputs
  GgufPolicyOptions policy;
  bool allow_nonfinite = false;  ///< write NaN/Inf weights as they are (else refused, naming the tensor)
  int num_threads = 2;           ///< quantization threads; the bytes never depend on it
  std::string command_line;      ///< recorded as general.quantization_recipe context (may be empty)
  /// Called per streamed block and per tensor (bytes are source bytes); never from another thread. May be empty.
  std::function<void(const ConvertProgress&)> progress;
};

/// One source tensor's fate (or a tensor the GGUF adds, such as rope_freqs.weight).
struct GgufCoverageEntry {
  std::string source_name;  ///< HF / bundle name ("" for a synthesised tensor)
  std::string gguf_name;    ///< "" when dropped
  std::string file;         ///< "model", "mmproj" or "dropped"
  std::string type;         ///< "F32", "Q4_0", ... ("" when dropped)
  std::string reason;
  Role role = Role::kNorm;
  bool fallback = false;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  std::optional<QuantMetrics> metrics;  ///< quantized tensors
};

struct GgufExportResult {
  std::string out;
  std::string mmproj_out;  ///< "" when none was written
  std::vector<GgufCoverageEntry> coverage;  ///< every source tensor, then the synthesised ones
  std::vector<std::string> warnings;        ///< KV-sharing layout llama.cpp cannot run, tokenizer, towers left out
  bool tokenizer_synthesised = false;
  size_t model_tensors = 0;
  size_t mmproj_tensors = 0;
  uint64_t model_bytes = 0;   ///< tensor bytes (before padding)
  uint64_t mmproj_bytes = 0;
  /// A few lines: files, tensors per type, warnings, where the full coverage is (`coverage_hint`).
  std::string to_summary(const std::string& coverage_hint = "") const;
  /// One line per tensor (source -> GGUF name, type, reason).
  std::string to_string() const;
  /// The whole result as JSON ({"out", "mmproj_out", "warnings", "coverage": [...]}).
  std::string to_json() const;
};

/// Loads the checkpoint `options.source` and writes the GGUF(s). Fails with kInvalidArgument for bad options (an
/// existing output without force, --quant or an override without a ggml type: every such tensor named with the
/// nearest ggml type, before anything is written), like load_checkpoint, like gguf_tokenizer_metadata, for a
/// non-finite weight (named) and like GgufWriter (which then leaves no output).
Result<GgufExportResult> convert_checkpoint_to_gguf(const GgufExportOptions& options);

/// The same from a bundle written by `hfbundle convert`: float tensors converted, q4_0/q8_0 blocks copied as they
/// are, tensors in schemes without a ggml type (int8, int4, kmeans) refused by name with the nearest ggml type.
/// Fails like Bundle::open, and kUnsupported for a tensor a pass renamed or fused (no GGUF name).
Result<GgufExportResult> export_bundle_to_gguf(const GgufExportOptions& options);

}  // namespace hfb
