// load_model_source (checkpoint or GGUF) and the media-refusing session wrapper.
#include "pipeline/model_source.h"

#include "models/load_checkpoint.h"
#include "models/load_gguf.h"
#include "readers/gguf.h"

namespace hfb {
namespace {

class MediaRefusingSession final : public Session {
 public:
  MediaRefusingSession(std::unique_ptr<Session> inner, std::string audio, std::string image)
      : inner_(std::move(inner)), audio_(std::move(audio)), image_(std::move(image)) {}
  int64_t vocab_size() const override { return inner_->vocab_size(); }
  int num_layers() const override { return inner_->num_layers(); }
  void reset() override { inner_->reset(); }
  Result<Matrix> prefill(const std::vector<int64_t>& ids, const MediaInputs* media, Taps* taps) override {
    HFB_TRY(check_media(media));
    return inner_->prefill(ids, media, taps);
  }
  Result<Matrix> prefill_last(const std::vector<int64_t>& ids, const MediaInputs* media, Taps* taps) override {
    HFB_TRY(check_media(media));
    return inner_->prefill_last(ids, media, taps);  // the inner session's one-row head, not a full prefill
  }
  Result<Matrix> decode(int64_t id) override { return inner_->decode(id); }
  int64_t experts_weights_read() const override { return inner_->experts_weights_read(); }
  uint64_t weight_bytes_read() const override { return inner_->weight_bytes_read(); }
  void set_check_finite(bool on) override { inner_->set_check_finite(on); }
  std::string first_nonfinite() const override { return inner_->first_nonfinite(); }

 private:
  Status check_media(const MediaInputs* media) const {
    if (media != nullptr && media->input_features.rows > 0 && !audio_.empty()) {
      return Error(ErrorCode::kInvalidArgument, audio_);
    }
    if (media != nullptr && media->pixel_values.rows > 0 && !image_.empty()) {
      return Error(ErrorCode::kInvalidArgument, image_);
    }
    return ok_status();
  }

  std::unique_ptr<Session> inner_;
  std::string audio_;
  std::string image_;
};

}  // namespace

bool is_gguf_path(const std::string& path) { return is_regular_file(path) && has_gguf_magic(path); }

Result<Model> load_model_source(const std::string& path, const ModelSourceOptions& options) {
  if (is_gguf_path(path)) {
    GgufLoadOptions load;
    load.mmproj_path = options.mmproj_path;
    load.config_path = options.config_path;
    return load_gguf_model(path, load);
  }
  if (!options.mmproj_path.empty() || !options.config_path.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string(options.mmproj_path.empty() ? "--config" : "--mmproj") +
                     " applies to a GGUF model only; '" + path + "' is not a GGUF file");
  }
  return load_checkpoint(path);
}

std::unique_ptr<Session> refuse_unavailable_media(const Model& model, std::unique_ptr<Session> session) {
  if (model.audio_refusal.empty() && model.image_refusal.empty()) return session;
  return std::make_unique<MediaRefusingSession>(std::move(session), model.audio_refusal, model.image_refusal);
}

}  // namespace hfb
