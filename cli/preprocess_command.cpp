// `hfbundle preprocess MODEL (--audio F | --image F) -o out.safetensors [--max-soft-tokens N]`: what the Gemma 4
// front-ends feed the towers, for checking and debugging them on their own.
#include <string>

#include "cli/command.h"
#include "pipeline/media_inputs.h"
#include "validators/report.h"

namespace hfb::cli {
namespace {

struct PreprocessOptions {
  std::string model;
  std::string audio;
  std::string image;
  std::string output;
  int max_soft_tokens = 0;
};

int run_preprocess(const PreprocessOptions& options) {
  auto settings = load_media_settings(options.model, options.max_soft_tokens);
  if (!settings.ok()) return report_error(settings.error());
  auto media = prepare_media(*settings, options.audio, options.image, MediaUse::kPreprocess);
  if (!media.ok()) return report_error(media.error());
  Status written = write_text_file_atomic(options.output, preprocessed_safetensors(*media, *settings));
  if (!written.ok()) return report_error(written.error());
  return kExitOk;
}

void setup_preprocess(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<PreprocessOptions>();
  CLI::App* sub = app.add_subcommand("preprocess", "Run the Gemma 4 audio / image front-end and save its tensors");
  sub->add_option("model", options->model, "Checkpoint directory or bundle (front-end settings and tower dims)")
      ->required();
  sub->add_option("--audio", options->audio, "WAV file (any rate and channel count)");
  sub->add_option("--image", options->image, "PNG or JPEG file");
  sub->add_option("-o,--output", options->output, "Output .safetensors")->required();
  sub->add_option("--max-soft-tokens", options->max_soft_tokens,
                  "Image soft-token budget: 70, 140, 280, 560 or 1120 (default: processor config, else 280)");
  sub->callback([options, run] { *run = [options] { return run_preprocess(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(preprocess, setup_preprocess);

}  // namespace hfb::cli
