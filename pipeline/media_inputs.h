// Real media in: audio / image files through the Gemma 4 front-ends (readers/media) into the runtime's MediaInputs,
// with the front-end settings of a checkpoint or a bundle and the prompt's placeholder expansion.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "pipeline/model_source.h"
#include "readers/media/processor_config.h"
#include "runtime/session.h"

namespace hfb {

/// The front-end settings of the checkpoint directory, bundle or GGUF (with `source`: its --mmproj / --config; the
/// processor file beside --config) at `model_path`: media_settings_from_model,
/// then config.json's placeholder ids, then processor_config.json or preprocessor_config.json when the
/// directory (or the bundle's file list) has one. `max_soft_tokens` > 0 overrides the image budget.
/// Fails like load_checkpoint / Bundle::open, apply_processor_json and set_max_soft_tokens.
Result<media::MediaSettings> load_media_settings(const std::string& model_path, int max_soft_tokens = 0,
                                                 const ModelSourceOptions& source = {});

/// One audio and/or one image file through the front-ends, as the runtime takes them (batch 1 each).
struct PreparedMedia {
  MediaInputs inputs;
  std::vector<int64_t> audio_soft_tokens;  ///< one entry per audio file (0 or 1)
  std::vector<int64_t> image_soft_tokens;  ///< one entry per image file (0 or 1)
  int64_t audio_frames = 0;
  int64_t image_patches = 0;  ///< real (unpadded) patches
  media::TargetSize image_target;   ///< resized (height, width)
  std::vector<uint8_t> resized_rgb; ///< [height, width, 3] after the bicubic resize
  int64_t audio_valid_frames = 0;
};

/// For `verify --against` with media: the reference's settings (load_media_settings), the files through the
/// front-ends, and every prompt expanded; a prompt holding neither markers nor expanded runs gets the image
/// marker, then the audio marker, after its first id (bos). Fails like load_media_settings, prepare_media and
/// expand_media_prompt (naming the prompt).
Result<PreparedMedia> media_for_prompts(const std::string& reference_path, const std::string& audio_path,
                                        const std::string& image_path, int max_soft_tokens,
                                        std::vector<std::vector<int64_t>>* prompts);

/// "audio", "image" or "audio+image" (GoldenCase::media_kind) for what `media` holds.
std::string media_kind_of(const PreparedMedia& media);

/// The safetensors bytes `hfbundle preprocess` writes: input_features [T, n_mels] F32 + input_features_mask [T] U8
/// and/or pixel_values [max_patches, 3·patch²] F32 + image_position_ids [max_patches, 2] I64 + resized_rgb
/// [h, w, 3] U8 (names as in the media goldens), and `__metadata__` with audio_soft_tokens, audio_frames,
/// audio_valid_frames, image_soft_tokens, image_patches, image_target_hw and settings_source.
std::string preprocessed_safetensors(const PreparedMedia& media, const media::MediaSettings& settings);

/// What the media are prepared for: kRun also refuses what the towers cannot take (a patch grid beyond the
/// vision position table, audio too short for one soft token); kPreprocess only runs the front-ends.
enum class MediaUse { kRun, kPreprocess };

/// Decodes, downmixes, resamples to settings.audio.sampling_rate and computes log-mel features for
/// `audio_path`; decodes and preprocesses `image_path` (either may be empty, not both). Fails with
/// kInvalidArgument when both are empty or (kRun) the towers cannot take them, and like read_audio_file /
/// compute_log_mel / read_image_file / preprocess_image, with "while preparing PATH" context.
Result<PreparedMedia> prepare_media(const media::MediaSettings& settings, const std::string& audio_path,
                                    const std::string& image_path, MediaUse use = MediaUse::kRun);

/// The prompt the runtime gets: ids with marker tokens expanded for `media` (expand_prompt_ids), or the ids as
/// given when they already hold begin/end runs (prompt_is_expanded). Fails like expand_prompt_ids.
Result<std::vector<int64_t>> expand_media_prompt(const std::vector<int64_t>& ids, const media::MediaSettings& settings,
                                                 const PreparedMedia& media);

}  // namespace hfb
