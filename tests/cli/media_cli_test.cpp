// `hfbundle run --audio/--image` and `hfbundle preprocess` end to end: on the `mm` checkpoint and on a converted
// bundle whose source is gone; preprocess output vs the media goldens; bad media exit 2.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "core/byte_source.h"
#include "readers/safetensors.h"
#include "tests/cli/run_cli_helper.h"
#include "tests/readers/media_encode_util.h"
#include "tests/readers/media_golden_util.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using test::MediaGolden;
using testing::run_cli;
using testing::ScratchDir;

const std::string kMm = std::string(HFB_FIXTURES_DIR) + "/gemma4/mm";
const std::string kSpeech = test::media_dir() + "/inputs/speech_16k.wav";
const std::string kTiny = test::media_dir() + "/inputs/tiny.png";

std::map<std::string, TensorInfo> read_tensors(const std::string& path, std::map<std::string, std::string>* meta) {
  std::map<std::string, TensorInfo> out;
  auto file = MmapFile::open(path);
  EXPECT_TRUE(file.ok());
  if (!file.ok()) return out;
  auto parsed = parse_safetensors_file(*file);
  EXPECT_TRUE(parsed.ok()) << parsed.error().to_string();
  if (!parsed.ok()) return out;
  for (auto& t : parsed->tensors) out[t.name] = t;
  *meta = parsed->metadata;
  return out;
}

template <typename T>
std::vector<T> values_of(const TensorInfo& t) {
  auto span = t.source->read(t.offset, t.num_bytes);
  std::vector<T> v(t.num_bytes / sizeof(T));
  if (span.ok()) std::memcpy(v.data(), span->data, t.num_bytes);
  return v;
}

TEST(MediaCli, RunWithAudioExpandsTheMarkerAndGenerates) {
  auto marker = run_cli("run " + kMm + " --prompt-ids 2,5,886,9 --audio " + kSpeech + " -n 4 --json");
  ASSERT_EQ(marker.exit_code, 0);
  auto json = nlohmann::json::parse(marker.out);
  std::vector<int64_t> prompt = json["prompt"];
  ASSERT_EQ(prompt.size(), 4u + 2u + 77u);  // boa + 78 soft tokens + eoa replace the marker
  EXPECT_EQ(prompt[2], 884);
  EXPECT_EQ(std::count(prompt.begin(), prompt.end(), 886), 78);
  EXPECT_EQ(prompt[3 + 78], 885);
  EXPECT_EQ(json["generated"].size(), 4u);
  // An already expanded prompt is used as given: same continuation.
  std::string ids = "2,5,884";
  for (int i = 0; i < 78; ++i) ids += ",886";
  ids += ",885,9";
  auto expanded = run_cli("run " + kMm + " --prompt-ids " + ids + " --audio " + kSpeech + " -n 4 --json");
  ASSERT_EQ(expanded.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(expanded.out)["generated"], json["generated"]);
}

TEST(MediaCli, RunWithAudioOnABundleWithoutItsSource) {
  ScratchDir scratch;
  const std::string source = scratch / "mm";
  std::filesystem::copy(kMm, source, std::filesystem::copy_options::recursive);
  const std::string bundle = scratch / "mm.hfb";
  ASSERT_EQ(run_cli("convert " + source + " -o " + bundle + " > /dev/null").exit_code, 0);
  std::filesystem::remove_all(source);
  auto ours = run_cli("run " + bundle + " --prompt-ids 2,5,886,9 --audio " + kSpeech + " -n 5");
  auto reference = run_cli("run " + kMm + " --prompt-ids 2,5,886,9 --audio " + kSpeech + " -n 5");
  EXPECT_EQ(ours.exit_code, 0);
  EXPECT_EQ(reference.exit_code, 0);
  EXPECT_FALSE(ours.out.empty());
  EXPECT_EQ(ours.out, reference.out);
}

TEST(MediaCli, PreprocessWritesTheGoldenTensors) {
  ScratchDir scratch;
  const std::string audio_out = scratch / "audio.safetensors";
  ASSERT_EQ(run_cli("preprocess " + kMm + " --audio " + kSpeech + " -o " + audio_out).exit_code, 0);
  std::map<std::string, std::string> meta;
  auto tensors = read_tensors(audio_out, &meta);
  ASSERT_TRUE(tensors.count("input_features") && tensors.count("input_features_mask"));
  EXPECT_EQ(meta["audio_soft_tokens"], "78");
  std::vector<float> ours = values_of<float>(tensors["input_features"]);
  std::vector<float> golden = MediaGolden::get().values<float>("audio.speech_16k.tiny.input_features");
  ASSERT_EQ(ours.size(), golden.size());
  for (size_t i = 0; i < ours.size(); ++i) ASSERT_NEAR(ours[i], golden[i], 1e-5) << i;
  // mm's vision tower has the golden's tiny patch 3 / pooling 3; budget 70 via the flag.
  const std::string image_out = scratch / "image.safetensors";
  ASSERT_EQ(run_cli("preprocess " + kMm + " --image " + kTiny + " --max-soft-tokens 70 -o " + image_out).exit_code, 0);
  tensors = read_tensors(image_out, &meta);
  ASSERT_TRUE(tensors.count("pixel_values") && tensors.count("image_position_ids"));
  EXPECT_EQ(meta["image_soft_tokens"], "60");
  EXPECT_EQ(values_of<float>(tensors["pixel_values"]), MediaGolden::get().values<float>("image.tiny.tiny.pixel_values"));
  EXPECT_EQ(values_of<int64_t>(tensors["image_position_ids"]),
            MediaGolden::get().values<int64_t>("image.tiny.tiny.image_position_ids"));
}

TEST(MediaCli, BadMediaExitTwo) {
  ScratchDir scratch;
  EXPECT_EQ(run_cli("run " + kMm + " --prompt-ids 2,886 --audio " + kTiny + " 2>/dev/null").exit_code, 2);
  EXPECT_EQ(run_cli("run " + kMm + " --prompt-ids 2,5 --audio " + kSpeech + " 2>/dev/null").exit_code, 2);
  EXPECT_EQ(run_cli("preprocess " + kMm + " --image " + kTiny + " --max-soft-tokens 100 -o " + (scratch / "x") +
                    " 2>/dev/null").exit_code, 2);
  EXPECT_EQ(run_cli("preprocess " + kMm + " -o " + (scratch / "x") + " 2>/dev/null").exit_code, 2);
}

/// A square gradient PNG: at budget 70 with patch 3 its 24x24 patch grid fits mm's 24-entry position table.
std::string write_square_png(const ScratchDir& scratch) {
  std::vector<uint8_t> rgb;
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 40; ++x) rgb.insert(rgb.end(), {uint8_t(x * 6), uint8_t(y * 6), uint8_t((x * y) % 251)});
  }
  const std::string path = scratch / "square.png";
  std::vector<uint8_t> png = test::make_png(40, 40, PNG_COLOR_TYPE_RGB, 8, rgb);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), png.size());
  return path;
}

TEST(MediaCli, RunWithImageAndAudioTogether) {
  ScratchDir scratch;
  const std::string square = write_square_png(scratch);
  auto r = run_cli("run " + kMm + " --prompt-ids 2,882,5,886,9 --image " + square + " --audio " + kSpeech +
                   " --max-soft-tokens 70 -n 3 --json");
  ASSERT_EQ(r.exit_code, 0);
  std::vector<int64_t> prompt = nlohmann::json::parse(r.out)["prompt"];
  // 40x40 at budget 70, patch 3, pooling 3: 72x72 pixels, 24x24 patches, 64 soft tokens; audio 78.
  EXPECT_EQ(std::count(prompt.begin(), prompt.end(), 882), 64);
  EXPECT_EQ(std::count(prompt.begin(), prompt.end(), 886), 78);
  EXPECT_EQ(prompt.size(), 5u - 2u + (64 + 2) + (78 + 2));
  EXPECT_EQ(prompt[1], 880);
  EXPECT_EQ(prompt[2 + 64], 881);
}

TEST(MediaCli, VerifyABundleAgainstItsCheckpointWithRealMedia) {
  ScratchDir scratch;
  const std::string bundle = scratch / "mm.hfb";
  ASSERT_EQ(run_cli("convert " + kMm + " -o " + bundle + " > /dev/null").exit_code, 0);
  const std::string square = write_square_png(scratch);
  const std::string report = scratch / "report.json";
  auto r = run_cli("verify " + bundle + " --against " + kMm + " --audio " + kSpeech + " --image " + square +
                   " --max-soft-tokens 70 --random-prompts 2 --steps 3 --report " + report + " > /dev/null");
  EXPECT_EQ(r.exit_code, 0);
  std::ifstream in(report);
  nlohmann::json json = nlohmann::json::parse(in);
  EXPECT_EQ(json["verdict"], "pass");
  std::set<std::string> taps;
  for (const auto& c : json["cases"]) {
    for (const auto& t : c["taps"]) {
      taps.insert(t["name"].get<std::string>());
      EXPECT_TRUE(t["pass"].get<bool>()) << t["name"];
    }
  }
  EXPECT_TRUE(taps.count("audio_tower_output"));
  EXPECT_TRUE(taps.count("vision_tower_output"));
  // tiny.png's 18x30 grid at budget 70 does not fit mm's 24-entry position table: refused before running.
  EXPECT_EQ(run_cli("verify " + bundle + " --against " + kMm + " --image " + kTiny +
                    " --max-soft-tokens 70 --random-prompts 1 2>/dev/null").exit_code, 2);
}

}  // namespace
}  // namespace hfb
