// GGUF import, the tensor side: a `gemma4` GGUF (+ mmproj) -> config and a tensor table under Hugging Face names.
#include "models/gemma4/gemma4_gguf_import.h"

#include <algorithm>
#include <cstring>

#include "models/gemma4/gemma4_gguf_config.h"
#include "models/gemma4/gemma4_gguf_names.h"
#include "models/gemma4/gemma4_tensors.h"

namespace hfb {
namespace {

using gemma4_gguf::GgufFileKind;
using gemma4_gguf::GgufTransform;

Error tensor_error(ErrorCode code, const GgufFile& file, const std::string& tensor, const std::string& what) {
  return Error(code, "GGUF tensor '" + tensor + "': " + what).with_path(file.source->path()).with_tensor(tensor);
}

/// float32 values of a float GGUF tensor (F32/F16/BF16).
Result<std::vector<float>> float_values(const GgufFile& file, const GgufTensorInfo& t, DType dtype) {
  TensorInfo info;
  info.name = t.name;
  info.dtype = dtype;
  info.shape = Shape(std::vector<int64_t>(t.ne.rbegin(), t.ne.rend()));
  info.source = file.source;
  info.offset = t.offset;
  info.num_bytes = t.nbytes;
  return tensor_to_f32(info);
}

/// Facts of the text file's tensors that config_from_text_metadata needs.
Result<gemma4_gguf::GgufTextTensorFacts> text_facts(const GgufFile& text) {
  gemma4_gguf::GgufTextTensorFacts facts;
  const GgufTensorInfo* embd = text.find_tensor("token_embd.weight");
  if (embd == nullptr || embd->ne.size() != 2) {
    return tensor_error(ErrorCode::kInvalidFile, text, "token_embd.weight", "missing or not 2-D (required)");
  }
  facts.vocab_size = static_cast<int>(embd->ne[1]);
  if (const GgufTensorInfo* ple = text.find_tensor("per_layer_token_embd.weight"); ple && ple->ne.size() == 2) {
    facts.vocab_size_per_layer_input = static_cast<int>(ple->ne[1]);
  }
  facts.has_output = text.find_tensor("output.weight") != nullptr;
  for (int i = 0; text.find_tensor("blk." + std::to_string(i) + ".attn_q.weight") != nullptr; ++i) {
    const std::string blk = "blk." + std::to_string(i) + ".";
    if (text.find_tensor(blk + "attn_k.weight") && !text.find_tensor(blk + "attn_v.weight")) {
      facts.layers_without_attn_v.push_back(i);
    }
  }
  if (const GgufTensorInfo* rope = text.find_tensor(gemma4_gguf::kRopeFreqsName)) {
    if (rope->type != gguf::GgmlType::kF32 || rope->ne.size() != 1) {
      return tensor_error(ErrorCode::kInvalidFile, text, rope->name, "expected a 1-D F32 tensor (llama.cpp asserts F32)");
    }
    HFB_TRY(std::vector<float> values, float_values(text, *rope, DTypeId::kF32));
    facts.rope_rotated_pairs = static_cast<int>(std::count(values.begin(), values.end(), 1.0f));
  }
  return facts;
}

/// rope_freqs.weight must be exactly what the config's partial_rotary_factor gives (it is not a model tensor).
Status check_rope_freqs(const GgufFile& text, const ModelConfig& config) {
  const GgufTensorInfo* rope = text.find_tensor(gemma4_gguf::kRopeFreqsName);
  if (rope == nullptr) return ok_status();
  HFB_TRY(std::vector<float> values, float_values(text, *rope, DTypeId::kF32));
  const std::vector<float> expected = gemma4_gguf::rope_freqs(config);
  if (values != expected) {
    return tensor_error(ErrorCode::kInvalidFile, text, rope->name,
                        std::to_string(values.size()) + " values, not the " + std::to_string(expected.size()) +
                            " ones-then-1e30 that the full-attention layers' partial_rotary_factor gives");
  }
  return ok_status();
}

/// The float32 bytes of a tensor whose values the export changed, rebuilt in memory.
Result<std::shared_ptr<const ByteSource>> reversed_values(const GgufFile& file, const GgufTensorInfo& t, DType dtype,
                                                         GgufTransform transform) {
  if (!dtype.is_float()) {
    return tensor_error(ErrorCode::kUnsupported, file, t.name,
                        "stored as " + std::string(dtype.name()) + "; its transform needs a float type");
  }
  HFB_TRY(std::vector<float> values, float_values(file, t, dtype));
  std::vector<float> out(values.size());
  if (transform == GgufTransform::kSoftplus) {
    for (size_t i = 0; i < values.size(); ++i) {
      const auto x = gemma4_gguf::inverse_softplus(values[i]);
      if (!x) {
        return tensor_error(ErrorCode::kInvalidFile, file, t.name,
                            "element " + std::to_string(i) + " = " + std::to_string(values[i]) +
                                " is not a softplus value (must be finite and > 0)");
      }
      out[i] = *x;
    }
  } else {  // kPatchPermute: ne {p, p, 3, Ev}
    const int64_t cols = t.ne[0] * t.ne[1] * t.ne[2];
    for (int64_t r = 0; r < t.ne[3]; ++r) gemma4_gguf::unpermute_patch_row(&values[r * cols], cols, &out[r * cols]);
  }
  std::vector<uint8_t> bytes(out.size() * sizeof(float));
  std::memcpy(bytes.data(), out.data(), bytes.size());
  return std::shared_ptr<const ByteSource>(
      std::make_shared<MemorySource>(std::move(bytes), file.source->path() + ":" + t.name));
}

/// Adds every tensor of `file` under its HF name. `skip_prefix` ("a." / "v."): a tower left out.
Status add_tensors(const GgufFile& file, GgufFileKind kind, const std::string& model_type,
                   const std::vector<std::string>& skip_prefixes, TensorTable* table) {
  for (const GgufTensorInfo& t : file.tensors) {
    if (kind == GgufFileKind::kText && t.name == gemma4_gguf::kRopeFreqsName) continue;  // checked, not a weight
    const bool skipped = std::any_of(skip_prefixes.begin(), skip_prefixes.end(), [&](const std::string& p) {
      return t.name.compare(0, p.size(), p) == 0;
    });
    if (skipped) continue;
    const auto name = gemma4_gguf::hf_name_for(model_type, kind, t.name);
    if (!name) {
      return tensor_error(ErrorCode::kInvalidFile, file, t.name,
                          std::string("has no Hugging Face counterpart in a Gemma 4 ") +
                              (kind == GgufFileKind::kText ? "text GGUF" : "mmproj") +
                              " (llama.cpp's names, docs/gguf.md)");
    }
    const auto shape = gemma4_gguf::hf_shape_for(name->transform, t.ne);
    const gguf::GgmlTypeTraits* traits = gguf::ggml_type_traits(static_cast<int32_t>(t.type));
    if (!shape || traits == nullptr) {
      return tensor_error(ErrorCode::kInvalidFile, file, t.name, "dims do not fit its Hugging Face tensor");
    }
    TensorInfo info;
    info.name = name->name;
    info.dtype = traits->dtype;
    info.shape = *shape;
    if (name->transform == GgufTransform::kSoftplus || name->transform == GgufTransform::kPatchPermute) {
      HFB_TRY(info.source, reversed_values(file, t, info.dtype, name->transform));
      info.dtype = DTypeId::kF32;
      info.offset = 0;
      info.num_bytes = info.source->size();
    } else {
      info.source = file.source;
      info.offset = t.offset;
      info.num_bytes = t.nbytes;
    }
    if (!table->add(std::move(info))) {
      return tensor_error(ErrorCode::kInvalidFile, file, t.name, "maps to '" + name->name + "' twice");
    }
  }
  return ok_status();
}

/// The id of the token spelled `text` in the GGUF vocabulary, -1 when absent.
int token_id_of(const GgufFile& file, const std::string& text) {
  const gguf::Value* tokens = file.find("tokenizer.ggml.tokens");
  if (tokens == nullptr) return -1;
  for (uint64_t i = 0; i < tokens->count(); ++i) {
    const std::string* s = tokens->string_at(i);
    if (s && *s == text) return static_cast<int>(i);
  }
  return -1;
}

/// Towers the runtime cannot build are left out: audio without its chunking (no mmproj keys; --config gives it),
/// vision without its placeholder id (--config, or a `<|image|>` token in the vocabulary).
void leave_out_unrunnable_towers(Model* model, std::vector<std::string>* skip) {
  ModelConfig& c = model->config;
  if (c.audio && (c.audio->attention_chunk_size <= 0 || c.audio_token_id < 0)) {
    model->audio_refusal =
        "audio input needs the audio tower's attention_chunk_size and attention_context_left, which the mmproj has "
        "no keys for: pass the checkpoint's config.json with --config";
    c.audio.reset();
    skip->push_back("a.");
    skip->push_back("mm.a.");
  }
  if (c.vision && c.image_token_id < 0) {
    model->image_refusal =
        "image input needs the image placeholder token id, which the GGUF vocabulary does not name (no '<|image|>' "
        "token): pass the checkpoint's config.json with --config";
    c.vision.reset();
    skip->push_back("v.");
    skip->push_back("mm.input_projection.");
  }
  for (const std::string* why : {&model->audio_refusal, &model->image_refusal}) {
    if (!why->empty()) model->diagnostics.push_back(Diagnostic{Diagnostic::Severity::kWarning, *why, ""});
  }
}

}  // namespace

Result<Model> import_gemma4_gguf(const GgufImportInput& in) {
  const std::string& path = in.text->source->path();
  HFB_TRY(gemma4_gguf::GgufTextTensorFacts facts, text_facts(*in.text));
  Model model;
  model.source = path;
  HFB_TRY(model.config, gemma4_gguf::config_from_text_metadata(in.text->metadata, facts, path));
  HFB_TRY(check_rope_freqs(*in.text, model.config));
  std::vector<std::string> skip;
  if (in.mmproj != nullptr) {
    HFB_TRY(gemma4_gguf::apply_mmproj_metadata(in.mmproj->metadata, in.mmproj->source->path(), &model.config));
    HFB_TRY(gemma4_gguf::apply_mmproj_tensor_facts(*in.mmproj, &model.config));
  }
  if (in.config_file != nullptr) {
    HFB_TRY(gemma4_gguf::merge_config_file(*in.config_file, in.config_path, &model.config));
  } else {
    model.config.image_token_id = token_id_of(*in.text, "<|image|>");
    model.config.video_token_id = token_id_of(*in.text, "<|video|>");
    model.config.audio_token_id = token_id_of(*in.text, "<|audio|>");
  }
  leave_out_unrunnable_towers(&model, &skip);
  if (in.config_file == nullptr && model.config.vision) {
    model.diagnostics.push_back(Diagnostic{Diagnostic::Severity::kWarning,
                                           "use_bidirectional_attention has no GGUF key: image tokens attend causally "
                                           "unless --config (the checkpoint's config.json) says otherwise",
                                           ""});
  }
  HFB_TRY(add_tensors(*in.text, GgufFileKind::kText, model.config.model_type, {}, &model.tensors));
  if (in.mmproj != nullptr) {
    HFB_TRY(add_tensors(*in.mmproj, GgufFileKind::kMmproj, model.config.model_type, skip, &model.tensors));
  }
  TensorCheckOptions check;
  check.config_name = in.config_file ? in.config_path + " and the GGUF metadata" : "the GGUF metadata";
  check.checkpoint = path;
  check.allow_ggml_blocks = true;
  HFB_TRY(assign_gemma4_roles(model.config, &model.tensors, &model.diagnostics, check));
  return model;
}

}  // namespace hfb
