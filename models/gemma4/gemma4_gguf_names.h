// Gemma 4 tensor names <-> llama.cpp GGUF tensor names, both directions from one table (text model `gemma4`, mmproj
// `clip` with the `gemma4v` vision and `gemma4a` audio projectors). Source: the shared gguf-gemma4.md, sections 2.3
// and 3 (llama.cpp's conversion/gemma.py and gguf-py tensor_mapping.py, verified by value on the reference GGUFs).
// Names are matched exactly against templates with one `{i}` layer slot: nothing is recognised by a substring.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model_config.h"
#include "core/shape.h"
#include "models/gguf_tensor_map.h"

namespace hfb::gemma4_gguf {

// The types are the family-neutral ones of models/gguf_tensor_map.h, named here too.
using hfb::GgufFileKind;
using hfb::GgufTensorName;
using hfb::GgufTransform;
using hfb::gguf_ne_for;
using hfb::hf_shape_for;
using hfb::kRopeFreqsName;

/// The GGUF name of an HF tensor of a checkpoint with `config` (text prefix `model.` or `model.language_model.` by
/// model_type). nullopt for a name with no GGUF counterpart (v_norm of a release layout, an unknown name). Whether a
/// mapped tensor is written at all (dead K/V of kv-shared layers, a tied lm_head, unused clip bounds) is the
/// exporter's decision from the tensor's role and `used` flag, not this table's.
std::optional<GgufTensorName> gguf_name_for(const ModelConfig& config, std::string_view hf_name);

/// The HF name of a GGUF tensor of `file` (the reverse of gguf_name_for, same table). `model_type` picks the text
/// prefix ("gemma4": `model.language_model.`, else `model.`). nullopt for a name the table does not hold
/// (`rope_freqs.weight` is synthesised, see kRopeFreqsName).
std::optional<GgufTensorName> hf_name_for(std::string_view model_type, GgufFileKind file, std::string_view gguf_name);

/// Every template of the table as "hf_template -> gguf_template" (tests, docs).
std::vector<std::string> gguf_name_table_lines();

}  // namespace hfb::gemma4_gguf
