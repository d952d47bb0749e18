// What `hfbundle inspect` prints about a loaded checkpoint: one JSON object, or a human-readable report.
#pragma once

#include <string>

#include "core/model.h"

namespace hfb {

/// Format tag of a model read from a Hugging Face safetensors checkpoint.
inline constexpr const char* kFormatHfSafetensors = "hf-safetensors";
/// Format tag of a model imported from a GGUF (pipeline/model_source.h).
inline constexpr const char* kFormatGguf = "gguf";

/// The `inspect --json` object: {"format", "source", "architecture", "model_type", "num_tensors",
/// "total_bytes", "bytes_by_dtype", "bytes_by_role", "num_unused", "tensors": [{"name", "dtype", "shape", "role",
/// "tower", "layer" (int|null), "used", "num_bytes", "unused_reason"?}], "text": {..., "layers": [{"index",
/// "attention", "head_dim", "num_heads", "num_kv_heads", "kv_shared_from" (int|null), "k_eq_v",
/// "intermediate_size", "rope"}]}, "audio": {...}|null, "vision": {...}|null, "generation", "token_ids",
/// "diagnostics": [{"severity", "message", "tensor"}]}. Dtypes are spelled as safetensors spells them.
/// `format` is the value of "format". Never fails.
std::string model_summary_json(const Model& model, const std::string& format = kFormatHfSafetensors,
                               int indent = 2);

/// The human report: architecture, per-layer table, towers, tensor count and bytes by dtype and by role,
/// unused tensors with reasons, warnings. Never fails.
std::string model_summary_text(const Model& model, const std::string& format = kFormatHfSafetensors);

}  // namespace hfb
