// Glue between readers/media's front-ends and the runtime: settings from a checkpoint or bundle, MediaInputs.
#include "pipeline/media_inputs.h"

#include "pipeline/model_source.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "readers/bundle/bundle_reader.h"
#include "readers/media/audio_decode.h"
#include "readers/media/media_file.h"
#include "readers/media/prompt_expansion.h"
#include "readers/media/resample.h"
#include "models/load_checkpoint.h"
#include "pipeline/bundle_session.h"

namespace hfb {
namespace {

constexpr const char* kProcessorFiles[] = {"processor_config.json", "preprocessor_config.json"};

std::string to_text(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

Result<std::string> bundle_file_text(const Bundle& bundle, const std::string& name) {
  HFB_TRY(auto source, bundle.file(name));
  HFB_TRY(ByteSpan span, source->read(0, source->size()));
  return std::string(reinterpret_cast<const char*>(span.data), static_cast<size_t>(span.size));
}

Result<media::MediaSettings> bundle_settings(const std::string& path) {
  HFB_TRY(auto bundle, Bundle::open(path));
  Model model;
  model.source = path;
  model.config = bundle->config();
  model.tensors = bundle->plain_tensor_table();
  HFB_TRY(media::MediaSettings settings, media::media_settings_from_model(model));
  auto config = bundle_file_text(*bundle, "config.json");
  if (config.ok()) HFB_TRY(media::apply_config_token_ids(*config, path + "!config.json", &settings));
  for (const char* name : kProcessorFiles) {
    auto text = bundle_file_text(*bundle, name);
    if (!text.ok()) continue;
    HFB_TRY(media::apply_processor_json(*text, path + "!" + name, &settings));
    break;
  }
  return settings;
}

Result<media::MediaSettings> checkpoint_settings(const std::string& dir) {
  HFB_TRY(Model model, load_checkpoint(dir));
  HFB_TRY(media::MediaSettings settings, media::media_settings_from_model(model));
  const std::filesystem::path root(dir);
  HFB_TRY(auto config, media::read_media_file((root / "config.json").string()));
  HFB_TRY(media::apply_config_token_ids(to_text(config), (root / "config.json").string(), &settings));
  for (const char* name : kProcessorFiles) {
    const std::string path = (root / name).string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) continue;
    HFB_TRY(auto text, media::read_media_file(path));
    HFB_TRY(media::apply_processor_json(to_text(text), path, &settings));
    break;
  }
  return settings;
}

Status prepare_audio(const media::AudioFeatureConfig& config, const std::string& path, MediaUse use,
                     PreparedMedia* out) {
  // The extractor keeps max_samples; one more second covers resample_poly's filter reach past the cut, so the
  // features equal those of the whole file while memory stays bounded.
  const double keep_seconds = static_cast<double>(config.max_samples) / config.sampling_rate + 1.0;
  HFB_TRY(media::AudioClip clip, media::read_audio_file(path, keep_seconds));
  HFB_TRY(std::vector<float> wave,
          media::resample_rate(media::downmix_mean(clip), clip.sample_rate, config.sampling_rate));
  HFB_TRY(media::AudioFeatures features, media::compute_log_mel(wave, config));
  if (use == MediaUse::kRun && features.soft_tokens == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "audio: " + std::to_string(wave.size()) + " samples at " + std::to_string(config.sampling_rate) +
                     " Hz give no audio soft token (too short: one token needs about 40 ms)")
        .with_path(path);
  }
  out->inputs.input_features.rows = features.frames;
  out->inputs.input_features.cols = features.mel_bins;
  out->inputs.input_features.data = std::move(features.input_features);
  out->inputs.input_features_mask = std::move(features.input_features_mask);
  out->audio_soft_tokens.push_back(features.soft_tokens);
  out->audio_frames = features.frames;
  for (uint8_t v : out->inputs.input_features_mask) out->audio_valid_frames += v != 0;
  return ok_status();
}

Status prepare_image(const media::MediaSettings& settings, const std::string& path, MediaUse use,
                     PreparedMedia* out) {
  HFB_TRY(media::RgbImage image, media::read_image_file(path));
  HFB_TRY(media::ImageFeatures features, media::preprocess_image(image, settings.image));
  const int positions = settings.vision_positions;
  if (use == MediaUse::kRun && positions > 0 && (features.grid_h > positions || features.grid_w > positions)) {
    return Error(ErrorCode::kInvalidArgument,
                 "image: a " + std::to_string(features.grid_h) + "x" + std::to_string(features.grid_w) +
                     " patch grid (budget " + std::to_string(settings.image.max_soft_tokens) +
                     " soft tokens) exceeds the vision tower's position table of " + std::to_string(positions) +
                     " per axis; use a smaller --max-soft-tokens")
        .with_path(path);
  }
  out->inputs.pixel_values.rows = features.max_patches;
  out->inputs.pixel_values.cols = features.patch_dim;
  out->inputs.pixel_values.data = std::move(features.pixel_values);
  out->inputs.image_position_ids = std::move(features.position_ids);
  out->image_soft_tokens.push_back(features.soft_tokens);
  out->image_patches = features.patches;
  out->image_target = features.target;
  out->resized_rgb = std::move(features.resized.rgb);
  return ok_status();
}

}  // namespace

/// A GGUF's settings: the imported config (towers, placeholder ids from --config or the vocabulary), the processor
/// file beside --config when there is one, else the processor defaults.
Result<media::MediaSettings> gguf_settings(const std::string& path, const ModelSourceOptions& source) {
  HFB_TRY(Model model, load_model_source(path, source));
  HFB_TRY(media::MediaSettings settings, media::media_settings_from_model(model));
  if (source.config_path.empty()) return settings;
  HFB_TRY(auto config, media::read_media_file(source.config_path));
  HFB_TRY(media::apply_config_token_ids(to_text(config), source.config_path, &settings));
  const std::filesystem::path root = std::filesystem::path(source.config_path).parent_path();
  for (const char* name : kProcessorFiles) {
    const std::string file = (root / name).string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) continue;
    HFB_TRY(auto text, media::read_media_file(file));
    HFB_TRY(media::apply_processor_json(to_text(text), file, &settings));
    break;
  }
  return settings;
}

Result<media::MediaSettings> load_media_settings(const std::string& model_path, int max_soft_tokens,
                                                 const ModelSourceOptions& source) {
  auto settings = is_gguf_path(model_path)     ? gguf_settings(model_path, source)
                  : is_bundle_path(model_path) ? bundle_settings(model_path)
                                               : checkpoint_settings(model_path);
  if (!settings.ok()) return std::move(settings).error().with_context("while reading the media settings of " + model_path);
  if (max_soft_tokens > 0) HFB_TRY(media::set_max_soft_tokens(max_soft_tokens, &*settings));
  return settings;
}

Result<PreparedMedia> prepare_media(const media::MediaSettings& settings, const std::string& audio_path,
                                    const std::string& image_path, MediaUse use) {
  if (audio_path.empty() && image_path.empty()) {
    return Error(ErrorCode::kInvalidArgument, "media: give an audio file, an image file or both");
  }
  PreparedMedia out;
  if (!audio_path.empty()) {
    Status s = prepare_audio(settings.audio, audio_path, use, &out);
    if (!s.ok()) return std::move(s).error().with_context("while preparing audio " + audio_path);
  }
  if (!image_path.empty()) {
    Status s = prepare_image(settings, image_path, use, &out);
    if (!s.ok()) return std::move(s).error().with_context("while preparing image " + image_path);
  }
  return out;
}

Result<std::vector<int64_t>> expand_media_prompt(const std::vector<int64_t>& ids, const media::MediaSettings& settings,
                                                 const PreparedMedia& media) {
  if (media::prompt_is_expanded(ids, settings.tokens)) return ids;
  HFB_TRY(media::ExpandedPrompt expanded,
          media::expand_prompt_ids(ids, settings.tokens, media.image_soft_tokens, media.audio_soft_tokens));
  return expanded.ids;
}

}  // namespace hfb

namespace hfb {

Result<PreparedMedia> media_for_prompts(const std::string& reference_path, const std::string& audio_path,
                                        const std::string& image_path, int max_soft_tokens,
                                        std::vector<std::vector<int64_t>>* prompts) {
  HFB_TRY(media::MediaSettings settings, load_media_settings(reference_path, max_soft_tokens));
  HFB_TRY(PreparedMedia prepared, prepare_media(settings, audio_path, image_path));
  const media::MediaTokenIds& t = settings.tokens;
  for (size_t i = 0; i < prompts->size(); ++i) {
    std::vector<int64_t>& prompt = (*prompts)[i];
    const bool has_marker = std::any_of(prompt.begin(), prompt.end(), [&](int64_t id) {
      return (t.image >= 0 && id == t.image) || (t.audio >= 0 && id == t.audio);
    });
    if (!has_marker && !prompt.empty()) {
      std::vector<int64_t> markers;
      if (!image_path.empty()) markers.push_back(t.image);
      if (!audio_path.empty()) markers.push_back(t.audio);
      prompt.insert(prompt.begin() + 1, markers.begin(), markers.end());
    }
    auto expanded = expand_media_prompt(prompt, settings, prepared);
    if (!expanded.ok()) return std::move(expanded).error().with_context("in prompt " + std::to_string(i));
    prompt = std::move(expanded).value();
  }
  return prepared;
}

std::string media_kind_of(const PreparedMedia& media) {
  const bool audio = !media.inputs.input_features.data.empty();
  const bool image = !media.inputs.pixel_values.data.empty();
  return audio && image ? "audio+image" : audio ? "audio" : image ? "image" : "";
}

namespace {

struct ExportTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  const void* data;
  size_t bytes;
};

}  // namespace

std::string preprocessed_safetensors(const PreparedMedia& media, const media::MediaSettings& settings) {
  const MediaInputs& in = media.inputs;
  std::vector<ExportTensor> tensors;
  nlohmann::json meta = {{"writer", "hfbundle preprocess"}, {"settings_source", settings.source}};
  if (!in.input_features.data.empty()) {
    tensors.push_back({"input_features", "F32", {in.input_features.rows, in.input_features.cols},
                       in.input_features.data.data(), in.input_features.data.size() * sizeof(float)});
    tensors.push_back({"input_features_mask", "U8", {static_cast<int64_t>(in.input_features_mask.size())},
                       in.input_features_mask.data(), in.input_features_mask.size()});
    meta["audio_soft_tokens"] = std::to_string(media.audio_soft_tokens.at(0));
    meta["audio_frames"] = std::to_string(media.audio_frames);
    meta["audio_valid_frames"] = std::to_string(media.audio_valid_frames);
  }
  if (!in.pixel_values.data.empty()) {
    tensors.push_back({"pixel_values", "F32", {in.pixel_values.rows, in.pixel_values.cols}, in.pixel_values.data.data(),
                       in.pixel_values.data.size() * sizeof(float)});
    tensors.push_back({"image_position_ids", "I64", {static_cast<int64_t>(in.image_position_ids.size() / 2), 2},
                       in.image_position_ids.data(), in.image_position_ids.size() * sizeof(int64_t)});
    tensors.push_back({"resized_rgb", "U8", {media.image_target.height, media.image_target.width, 3},
                       media.resized_rgb.data(), media.resized_rgb.size()});
    meta["image_soft_tokens"] = std::to_string(media.image_soft_tokens.at(0));
    meta["image_patches"] = std::to_string(media.image_patches);
    meta["image_target_hw"] = std::to_string(media.image_target.height) + "," + std::to_string(media.image_target.width);
  }
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = meta;
  size_t offset = 0;
  for (const ExportTensor& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes}}};
    offset += t.bytes;
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text += ' ';
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((uint64_t{text.size()} >> (8 * i)) & 0xff);
  out += text;
  for (const ExportTensor& t : tensors) out.append(static_cast<const char*>(t.data), t.bytes);
  return out;
}

}  // namespace hfb
