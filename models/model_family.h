// The model-family registry: which family reads a checkpoint (chosen by config.json's `model_type`) and the
// family's entry points (config, roles, graph builders). Code outside models/<family>/ reaches a family only here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "core/model.h"
#include "core/model_config.h"
#include "core/tensor.h"
#include "models/gguf_tensor_map.h"
#include "readers/gguf.h"

namespace hfb {

/// The media sizes a graph is built at. Tower dims are static but relative: a graph built at any sizes is
/// re-targeted to another prompt's sizes by respecialize() (core/graph.h) on its media inputs.
struct MediaDims {
  int64_t audio_frames = 0;       ///< T of input_features; 0: no audio tower in the graph
  int64_t image_patches = 0;      ///< P of pixel_values (a multiple of pooling_kernel^2); 0: no vision tower
  /// Valid pooled tokens = valid patches / k^2 (what the image placeholders take). Informative only: the
  /// graph keeps all P/k^2 pooled rows and masks the padding ones out of the scatter.
  int64_t image_soft_tokens = 0;
};

struct MultimodalGraphOptions {
  /// Deliberately wrong, for tests only: read the vision clip bounds even when vision.use_clipped_linears is
  /// false (the bug fixture mm-clipscope guards against).
  bool clip_vision_regardless_of_flag = false;
};

/// Names used in the messages of a family's role check.
struct TensorCheckOptions {
  std::string config_name = "config.json";  ///< the config file the shapes come from
  std::string checkpoint;                   ///< the checkpoint directory (for missing tensors)
  bool allow_ggml_blocks = false;           ///< also accept q4_0 / q8_0 storage (a GGUF's tensors as stored)
};

/// What a GGUF import starts from (models/load_gguf.h opens the files).
struct GgufImportInput {
  const GgufFile* text = nullptr;             ///< the model: general.architecture = the family's gguf_architecture
  const GgufFile* mmproj = nullptr;           ///< the multimodal projector (`clip`), nullptr: none
  const ModelConfig* config_file = nullptr;   ///< `--config`: a Hugging Face config.json for what GGUF has no keys for
  std::string config_path;                    ///< its path (messages)
};

/// One model family: the config `model_type`s it reads and its entry points. Every entry is set.
struct ModelFamily {
  const char* name;                        ///< "gemma4"
  const char* display_name;                ///< "Gemma 4" (messages)
  std::vector<std::string> model_types;    ///< config.json model_type values the family reads
  /// config.json text -> resolved config; `path` names the file in messages (non-fatal findings to diagnostics).
  Result<ModelConfig> (*parse_config)(std::string_view json_text, const std::string& path,
                                      std::vector<Diagnostic>* diagnostics);
  /// generation_config.json -> bos/eos/pad ids (keys absent keep the value from the model config).
  Status (*read_generation_config)(const std::string& path, GenerationConfig* generation);
  /// Role, tower, layer and used flag for every tensor, checked against the config's exact tensor list.
  Status (*assign_roles)(const ModelConfig& config, TensorTable* tensors, std::vector<Diagnostic>* diagnostics,
                         const TensorCheckOptions& options);
  /// The text decoder alone (no towers).
  Result<Graph> (*build_text_graph)(const ModelConfig& config, const TensorTable& tensors);
  /// The text decoder plus each tower with non-zero dims in `media` (no media: the text graph).
  Result<Graph> (*build_graph)(const ModelConfig& config, const TensorTable& tensors, const MediaDims& media,
                               const MultimodalGraphOptions& options);
  /// The whole model: every tower the config has, at placeholder media sizes (the graph a bundle stores).
  Result<Graph> (*build_model_graph)(const ModelConfig& config, const TensorTable& tensors,
                                     const MultimodalGraphOptions& options);
  /// GGUF import (nullptr: the family has none): `general.architecture` of its GGUFs and the mapping of a GGUF
  /// (+ mmproj) to the Model a checkpoint directory gives (HF names and shapes, roles checked).
  const char* gguf_architecture = nullptr;
  Result<Model> (*import_gguf)(const GgufImportInput& input) = nullptr;
  /// GGUF export (nullptr: the family has none): its name table and metadata (models/gguf_tensor_map.h).
  const GgufExportTables* gguf_export = nullptr;

  bool accepts(std::string_view model_type) const;
};

/// Every registered family, in a fixed order (an explicit list: static self-registration would be dropped by
/// the linker).
const std::vector<const ModelFamily*>& registered_model_families();

/// The family whose GGUFs have `general.architecture` = `architecture`, or nullptr.
const ModelFamily* find_gguf_model_family(std::string_view architecture);

/// The family that reads `model_type`, or nullptr.
const ModelFamily* find_model_family(std::string_view model_type);

/// The family of a resolved config. Fails with kUnsupported naming the model_type and the families known.
Result<const ModelFamily*> model_family_for(const ModelConfig& config);

/// The GGUF export tables of the config's family. Fails like model_family_for, kUnsupported when the family has no
/// GGUF export.
Result<const GgufExportTables*> gguf_export_tables_for(const ModelConfig& config);

/// Reads a config.json and parses it with the family its `model_type` names. Fails with kNotFound / kIo for
/// the file, kLimit above the config size limit, kInvalidFile for malformed JSON or a missing / non-string
/// model_type, kUnsupported (key 'model_type', naming the model types hfbundle reads) for an unknown model_type,
/// else as the family's parse_config.
Result<ModelConfig> read_model_config(const std::string& path, std::vector<Diagnostic>* diagnostics = nullptr);

/// The graph builders of the config's family (model_family_for, then the entry of the same name). Each fails
/// like model_family_for or like the family's builder.
Result<Graph> build_text_graph(const ModelConfig& config, const TensorTable& tensors);
Result<Graph> build_graph(const ModelConfig& config, const TensorTable& tensors, const MediaDims& media,
                          const MultimodalGraphOptions& options = {});
Result<Graph> build_model_graph(const ModelConfig& config, const TensorTable& tensors,
                                const MultimodalGraphOptions& options = {});

}  // namespace hfb
