// Gemma 4 front-end settings: processor_config.json / preprocessor_config.json when a checkpoint has one, else the
// reference defaults with the dims the model's towers expect; plus the boi/eoi/boa/eoa ids from config.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/model.h"
#include "readers/media/image_features.h"
#include "readers/media/log_mel.h"

namespace hfb::media {

/// Placeholder and delimiter token ids of the multimodal prompt (-1: the model has none).
struct MediaTokenIds {
  int64_t image = -1, boi = -1, eoi = -1;
  int64_t audio = -1, boa = -1, eoa = -1;
  int64_t video = -1;
};

struct MediaSettings {
  AudioFeatureConfig audio;
  ImageProcessorConfig image;
  MediaTokenIds tokens;
  int vision_positions = 0;  ///< the vision tower's position table per axis (0: unknown); larger grids are refused
  std::string source = "defaults";  ///< which file the processor settings came from
};

/// The settings of `model` without a processor file: feature extractor and image processor defaults, mel bins
/// = 4 · (audio input projection in_features / subsampling_conv_channels[1]) (what the tower's input projection
/// expects; HF sizes it from channels[0] / 4), patch size and pooling from vision_config, placeholder ids from
/// the config. Fails with kInvalidFile when the audio input projection has a shape the channels do not divide.
Result<MediaSettings> media_settings_from_model(const Model& model);

/// Overlays a processor file's values: `processor_config.json` ("feature_extractor" / "image_processor" blocks,
/// "audio_seq_length") or `preprocessor_config.json` (flat). Unknown keys are ignored; known keys with the wrong
/// type fail with kInvalidFile naming `path` and the key. A feature_size different from the tower's mel bins fails
/// with kInvalidFile.
Status apply_processor_json(const std::string& text, const std::string& path, MediaSettings* settings);

/// Reads boi_token_id, eoi_token_id, boa_token_id, eoa_token_id (or eoa_token_index) from config.json text.
/// Fails with kInvalidFile for JSON that does not parse or ids that are not integers.
Status apply_config_token_ids(const std::string& text, const std::string& path, MediaSettings* settings);

/// Caps the image budget (--max-soft-tokens). Fails like validate_image_config.
Status set_max_soft_tokens(int tokens, MediaSettings* settings);

}  // namespace hfb::media
