// Internal to pipeline/gguf_export*.cpp: the export plan (every tensor's GGUF name, dims, type and the function
// that streams its bytes) and the block converters that feed a GgufWriter.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "core/model_config.h"
#include "formats/gguf_format.h"
#include "models/gguf_tensor_map.h"
#include "pipeline/gguf_export.h"
#include "pipeline/gguf_policy.h"
#include "quant/scheme.h"

namespace hfb::gguf_export_detail {

/// Receives a tensor's bytes in order, in pieces.
using ByteSink = std::function<Status(const uint8_t* data, uint64_t size)>;
/// Reports source bytes consumed so far in the current tensor.
using BytesDone = std::function<void(uint64_t)>;
/// Streams one tensor; returns the quantization figures of a quantized tensor.
using Producer = std::function<Result<std::optional<QuantMetrics>>(const ByteSink&, const BytesDone&)>;

struct PlannedTensor {
  GgufCoverageEntry coverage;  ///< name, file, type, reason, bytes_before (bytes_after/metrics filled when written)
  std::vector<int64_t> ne;
  gguf::GgmlType type = gguf::GgmlType::kF32;
  Producer produce;
};

struct GgufPlan {
  gguf::Metadata model_metadata;
  gguf::Metadata mmproj_metadata;
  std::vector<PlannedTensor> model;
  std::vector<PlannedTensor> mmproj;
  std::vector<GgufCoverageEntry> dropped;
  std::vector<std::string> warnings;
  bool tokenizer_synthesised = false;
};

/// Converts a float tensor (F32/F16/BF16 source) to `target` (F32/F16/BF16) block by block, applying `transform`
/// (softplus in the source precision, the patch permutation per row). Refuses NaN/Inf unless allow_nonfinite.
Status stream_float(const TensorInfo& info, gguf::GgmlType target, GgufTransform transform,
                    bool allow_nonfinite, const ByteSink& sink, const BytesDone& done);

/// Quantizes a float tensor to q4_0/q8_0 blocks (ggml's bytes) row block by row block.
/// A q4_0 / q8_0 source tensor (a GGUF's blocks): copied block for block when `target` is its type, else decoded
/// (ggml's dequantize_row_*) and re-encoded as `scheme` (kNone: the float `target`). Fails with kUnsupported for
/// another dtype, like quantize and the sink.
Result<std::optional<QuantMetrics>> stream_blocks(const TensorInfo& info, gguf::GgmlType target, Scheme scheme,
                                                  const QuantParams& params, const ByteSink& sink,
                                                  const BytesDone& done);
Result<QuantMetrics> stream_quantized(const TensorInfo& info, Scheme scheme, const QuantParams& params,
                                      const ByteSink& sink, const BytesDone& done);

/// A tensor written from a float source (`info` must outlive the plan): converted to decision.type, or quantized
/// when decision.scheme is q4_0/q8_0; its coverage entry filled from the decision. With --allow-nonfinite a
/// tensor holding NaN/Inf is written in its stored float type instead of q4_0/q8_0 (quant/nonfinite_rule.h),
/// its coverage saying "kept float: N non-finite values". Fails as count_nonfinite (it reads the tensor then).
Result<PlannedTensor> plan_from_float(const TensorInfo& info, const GgufTensorName& name,
                                      std::vector<int64_t> ne, GgufDecision decision,
                                      const GgufExportOptions& options);

/// Copies `size` bytes at `offset` of `source` (encoded q4_0/q8_0 blocks of a bundle) in blocks.
Status stream_bytes(const ByteSource& source, uint64_t offset, uint64_t size, const ByteSink& sink,
                    const BytesDone& done);

/// float values -> `target` bytes (rope_freqs).
std::vector<uint8_t> encode_values(const std::vector<float>& values, gguf::GgmlType target);

/// Writes the plan: both files' headers, then every tensor streamed in plan order; both files are renamed into
/// place only when both are complete. Fills bytes_after/metrics and the result's counts.
Status write_plan(const GgufExportOptions& options, GgufPlan* plan, GgufExportResult* result);

/// What the metadata of both files is made from.
struct MetadataSource {
  ModelConfig config;
  std::string name;           ///< general.name
  std::string dir;            ///< where preprocessor_config.json may be
  std::string tokenizer_dir;  ///< where tokenizer.json may be ("": synthesised)
  std::string source_repo;
  std::string source_revision;
  std::optional<gguf::Metadata> tokenizer_keys;  ///< a GGUF source's tokenizer.* keys, copied as they are
  std::optional<MmprojExtras> mmproj_extras;  ///< a GGUF source mmproj's image_mean / image_std
};

/// Both files' metadata (general.*, gemma4.* / clip.*, tokenizer), the tokenizer and KV-sharing warnings. Fails
/// like gguf_tokenizer_metadata, kInvalidArgument for --mmproj-out on a model without towers.
Status plan_metadata(const MetadataSource& source, const GgufPolicy& policy, const GgufExportOptions& options,
                     GgufPlan* plan);
/// rope_freqs.weight, first in the model file (as the converter writes it), when there are full-attention layers.
Status plan_rope_freqs(const ModelConfig& config, GgufPlan* plan);
/// kInvalidArgument for a missing -o, an existing output without force, -o equal to --mmproj-out.
Status check_outputs(const GgufExportOptions& options);
/// The refusal naming the tensors (the first 8, then a count) whose scheme has no ggml type.
Error refusal(const std::vector<std::string>& refused);
/// A coverage entry for a tensor that is not written.
GgufCoverageEntry dropped(const TensorInfo& t, std::string reason);

/// general.name for a source path: its last component without .zip / .hfb, capitalised ("sample" -> "Sample", as
/// llama.cpp's converter names a directory).
std::string display_name(std::string path);

/// The general.* keys: type, name, file_type, quantization version, provenance (source repo/revision, hfbundle
/// version, the recipe).
gguf::Metadata general_metadata(const std::string& type, const std::string& name, uint32_t file_type,
                                const std::string& source_repo, const std::string& source_revision,
                                const std::string& recipe);

}  // namespace hfb::gguf_export_detail
