// Front-end settings from the model and its processor files (feature_extraction_gemma4 / image_processing_gemma4).
#include "readers/media/processor_config.h"

#include <cmath>
#include <initializer_list>
#include <nlohmann/json.hpp>

namespace hfb::media {
namespace {

using Json = nlohmann::json;

Error bad_key(const std::string& path, const std::string& key, const std::string& expected) {
  return Error(ErrorCode::kInvalidFile, "processor config: '" + key + "' is not " + expected).with_path(path);
}

template <typename T>
Status read_number(const Json& block, const char* key, const std::string& path, T* out) {
  auto it = block.find(key);
  if (it == block.end() || it->is_null()) return ok_status();
  if (!it->is_number()) return bad_key(path, key, "a number");
  *out = it->get<T>();
  return ok_status();
}

Status read_bool(const Json& block, const char* key, const std::string& path, bool* out) {
  auto it = block.find(key);
  if (it == block.end() || it->is_null()) return ok_status();
  if (!it->is_boolean()) return bad_key(path, key, "a boolean");
  *out = it->get<bool>();
  return ok_status();
}

Status read_doubles(const Json& block, const char* key, const std::string& path, std::vector<double>* out) {
  auto it = block.find(key);
  if (it == block.end() || it->is_null()) return ok_status();
  if (!it->is_array()) return bad_key(path, key, "a list of numbers");
  out->clear();
  for (const auto& v : *it) {
    if (!v.is_number()) return bad_key(path, key, "a list of numbers");
    out->push_back(v.get<double>());
  }
  return ok_status();
}

Status apply_audio_block(const Json& b, const std::string& path, AudioFeatureConfig* a) {
  const int tower_bins = a->feature_size;
  HFB_TRY(read_number(b, "feature_size", path, &a->feature_size));
  HFB_TRY(read_number(b, "sampling_rate", path, &a->sampling_rate));
  double ms = 0.0;
  if (b.contains("frame_length_ms")) {
    HFB_TRY(read_number(b, "frame_length_ms", path, &ms));
    a->frame_length = static_cast<int>(std::lround(a->sampling_rate * ms / 1000.0));
  }
  if (b.contains("hop_length_ms")) {
    HFB_TRY(read_number(b, "hop_length_ms", path, &ms));
    a->hop_length = static_cast<int>(std::lround(a->sampling_rate * ms / 1000.0));
  }
  HFB_TRY(read_number(b, "frame_length", path, &a->frame_length));
  HFB_TRY(read_number(b, "hop_length", path, &a->hop_length));
  HFB_TRY(read_bool(b, "fft_overdrive", path, &a->fft_overdrive));
  HFB_TRY(read_number(b, "min_frequency", path, &a->min_frequency));
  HFB_TRY(read_number(b, "max_frequency", path, &a->max_frequency));
  HFB_TRY(read_number(b, "mel_floor", path, &a->mel_floor));
  HFB_TRY(read_number(b, "preemphasis", path, &a->preemphasis));
  HFB_TRY(read_bool(b, "preemphasis_htk_flavor", path, &a->preemphasis_htk_flavor));
  HFB_TRY(read_number(b, "input_scale_factor", path, &a->input_scale_factor));
  HFB_TRY(read_number(b, "dither", path, &a->dither));
  HFB_TRY(read_doubles(b, "per_bin_mean", path, &a->per_bin_mean));
  HFB_TRY(read_doubles(b, "per_bin_stddev", path, &a->per_bin_stddev));
  if (tower_bins > 0 && a->feature_size != tower_bins) {
    return Error(ErrorCode::kInvalidFile, "processor config: feature_size " + std::to_string(a->feature_size) +
                                              " but the audio tower's input projection expects " +
                                              std::to_string(tower_bins) + " mel bins")
        .with_path(path);
  }
  return validate_audio_config(*a);
}

Status apply_image_block(const Json& b, const std::string& path, ImageProcessorConfig* c) {
  HFB_TRY(read_number(b, "patch_size", path, &c->patch_size));
  HFB_TRY(read_number(b, "pooling_kernel_size", path, &c->pooling_kernel_size));
  HFB_TRY(read_number(b, "max_soft_tokens", path, &c->max_soft_tokens));
  HFB_TRY(read_bool(b, "do_resize", path, &c->do_resize));
  HFB_TRY(read_number(b, "resample", path, &c->resample));
  HFB_TRY(read_bool(b, "do_rescale", path, &c->do_rescale));
  HFB_TRY(read_number(b, "rescale_factor", path, &c->rescale_factor));
  HFB_TRY(read_bool(b, "do_normalize", path, &c->do_normalize));
  for (const char* key : {"image_mean", "image_std"}) {
    std::vector<double> values;
    HFB_TRY(read_doubles(b, key, path, &values));
    if (values.empty()) continue;
    if (values.size() != 3) return bad_key(path, key, "a list of 3 numbers");
    float* dst = std::string(key) == "image_mean" ? c->image_mean : c->image_std;
    for (int i = 0; i < 3; ++i) dst[i] = static_cast<float>(values[static_cast<size_t>(i)]);
  }
  return validate_image_config(*c);
}

}  // namespace

Result<MediaSettings> media_settings_from_model(const Model& model) {
  MediaSettings s;
  const ModelConfig& config = model.config;
  if (config.audio) {
    const int c0 = config.audio->subsampling_conv_channels.at(0);
    const int c1 = config.audio->subsampling_conv_channels.at(1);
    int64_t in_features = int64_t{c0 / 4} * c1;
    for (const TensorInfo& t : model.tensors.tensors()) {
      if (t.role == Role::kAudioInputProjection && t.shape.rank() == 2) in_features = t.shape.dim(1);
    }
    if (in_features <= 0 || in_features % c1 != 0) {
      return Error(ErrorCode::kInvalidFile, "audio input projection takes " + std::to_string(in_features) +
                                                " features, not a multiple of subsampling_conv_channels[1] = " +
                                                std::to_string(c1))
          .with_path(model.source);
    }
    s.audio.feature_size = static_cast<int>(4 * (in_features / c1));
  }
  if (config.vision) {
    s.image.patch_size = config.vision->patch_size;
    s.image.pooling_kernel_size = config.vision->pooling_kernel_size;
    s.vision_positions = config.vision->position_embedding_size;
  }
  s.tokens.image = config.image_token_id;
  s.tokens.audio = config.audio_token_id;
  s.tokens.video = config.video_token_id;
  return s;
}

Status apply_processor_json(const std::string& text, const std::string& path, MediaSettings* settings) {
  Json root = Json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return Error(ErrorCode::kInvalidFile, "processor config: not a JSON object").with_path(path);
  }
  const bool blocks = root.contains("feature_extractor") || root.contains("image_processor");
  const Json* audio = blocks ? (root.contains("feature_extractor") ? &root["feature_extractor"] : nullptr)
                             : (root.contains("feature_extractor_type") || root.contains("feature_size") ? &root : nullptr);
  const Json* image = blocks ? (root.contains("image_processor") ? &root["image_processor"] : nullptr)
                             : (root.contains("image_processor_type") || root.contains("patch_size") ? &root : nullptr);
  if (audio != nullptr && !audio->is_object()) return bad_key(path, "feature_extractor", "an object");
  if (image != nullptr && !image->is_object()) return bad_key(path, "image_processor", "an object");
  if (audio != nullptr) HFB_TRY(apply_audio_block(*audio, path, &settings->audio));
  if (image != nullptr) HFB_TRY(apply_image_block(*image, path, &settings->image));
  HFB_TRY(read_number(root, "audio_seq_length", path, &settings->audio.audio_seq_length));
  settings->source = path;
  return ok_status();
}

Status apply_config_token_ids(const std::string& text, const std::string& path, MediaSettings* settings) {
  Json root = Json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return Error(ErrorCode::kInvalidFile, "config.json: not a JSON object").with_path(path);
  }
  MediaTokenIds& t = settings->tokens;
  HFB_TRY(read_number(root, "boi_token_id", path, &t.boi));
  HFB_TRY(read_number(root, "eoi_token_id", path, &t.eoi));
  HFB_TRY(read_number(root, "boa_token_id", path, &t.boa));
  HFB_TRY(read_number(root, "eoa_token_index", path, &t.eoa));
  HFB_TRY(read_number(root, "eoa_token_id", path, &t.eoa));
  HFB_TRY(read_number(root, "image_token_id", path, &t.image));
  HFB_TRY(read_number(root, "audio_token_id", path, &t.audio));
  HFB_TRY(read_number(root, "video_token_id", path, &t.video));
  return ok_status();
}

Status set_max_soft_tokens(int tokens, MediaSettings* settings) {
  ImageProcessorConfig next = settings->image;
  next.max_soft_tokens = tokens;
  HFB_TRY(validate_image_config(next));
  settings->image = next;
  return ok_status();
}

}  // namespace hfb::media
