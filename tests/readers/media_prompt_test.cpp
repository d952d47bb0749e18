// Prompt expansion on ids vs the media goldens' processor cases, with soft-token counts from our own front-ends.
#include <gtest/gtest.h>

#include <sstream>

#include "readers/media/audio_decode.h"
#include "readers/media/prompt_expansion.h"
#include "readers/media/resample.h"
#include "tests/readers/media_golden_util.h"

namespace hfb::media {
namespace {

using test::MediaGolden;
using test::media_dir;

/// The golden's synthetic word-level tokenizer: special tokens first (anywhere), then whitespace-split words.
std::vector<int64_t> tokenize(const std::string& text, const nlohmann::json& vocab) {
  std::vector<std::string> specials;
  for (const auto& [token, id] : vocab.items()) {
    if (token.size() > 1 && token.front() == '<' && token.back() == '>') specials.push_back(token);
  }
  std::sort(specials.begin(), specials.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::vector<int64_t> ids;
  std::string words;
  auto flush = [&] {
    std::istringstream in(words);
    for (std::string w; in >> w;) ids.push_back(vocab.contains(w) ? vocab[w].get<int64_t>() : vocab["<unk>"].get<int64_t>());
    words.clear();
  };
  for (size_t i = 0; i < text.size();) {
    bool matched = false;
    for (const auto& s : specials) {
      if (text.compare(i, s.size(), s) == 0) {
        flush();
        ids.push_back(vocab[s].get<int64_t>());
        i += s.size();
        matched = true;
        break;
      }
    }
    if (!matched) words += text[i++];
  }
  flush();
  return ids;
}

int64_t image_tokens(const std::string& name) {
  auto image = read_image_file(media_dir() + "/" + MediaGolden::get().image(name)["file"].get<std::string>());
  EXPECT_TRUE(image.ok());
  auto features = preprocess_image(*image, ImageProcessorConfig{});  // E2B settings, budget 280
  EXPECT_TRUE(features.ok());
  return features.ok() ? features->soft_tokens : -1;
}

int64_t audio_tokens(const std::string& name) {
  auto clip = read_audio_file(media_dir() + "/" + MediaGolden::get().audio(name)["file"].get<std::string>());
  EXPECT_TRUE(clip.ok());
  auto wave = resample_rate(downmix_mean(*clip), clip->sample_rate, 16000);
  auto features = compute_log_mel(*wave, AudioFeatureConfig{});
  EXPECT_TRUE(features.ok());
  return features.ok() ? features->soft_tokens : -1;
}

MediaTokenIds golden_token_ids() {
  const auto& ids = MediaGolden::get().json()["prompts"]["tokenizer"]["ids"];
  MediaTokenIds t;
  t.image = ids["image"];
  t.boi = ids["boi"];
  t.eoi = ids["eoi"];
  t.audio = ids["audio"];
  t.boa = ids["boa"];
  t.eoa = ids["eoa"];
  t.video = ids["video"];
  return t;
}

TEST(MediaPrompt, ExpansionMatchesProcessorCases) {
  const auto& prompts = MediaGolden::get().json()["prompts"];
  ASSERT_GE(prompts["cases"].size(), 6u);
  for (const auto& c : prompts["cases"]) {
    const std::string name = c["name"];
    std::vector<int64_t> images, audios;
    for (const auto& i : c["images"]) images.push_back(image_tokens(i));
    for (const auto& a : c["audio"]) audios.push_back(audio_tokens(a));
    EXPECT_EQ(images, c["image_soft_tokens"].get<std::vector<int64_t>>()) << name;
    EXPECT_EQ(audios, c["audio_soft_tokens"].get<std::vector<int64_t>>()) << name;
    std::vector<int64_t> ids = tokenize(c["text"], prompts["tokenizer"]["vocab"]);
    auto expanded = expand_prompt_ids(ids, golden_token_ids(), images, audios);
    ASSERT_TRUE(expanded.ok()) << expanded.error().to_string();
    EXPECT_EQ(expanded->ids, MediaGolden::get().values<int64_t>("prompt." + name + ".input_ids")) << name;
    EXPECT_EQ(expanded->mm_token_type_ids, MediaGolden::get().values<int64_t>("prompt." + name + ".mm_token_type_ids"))
        << name;
  }
}

TEST(MediaPrompt, MarkerCountMustMatchMedia) {
  MediaTokenIds t = golden_token_ids();
  auto missing = expand_prompt_ids({2, t.image, 5}, t, {}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);
  auto extra = expand_prompt_ids({2, 5}, t, {}, {4});
  ASSERT_FALSE(extra.ok());
  MediaTokenIds no_delims = t;
  no_delims.boa = -1;
  EXPECT_FALSE(expand_prompt_ids({t.audio}, no_delims, {}, {3}).ok());
}

TEST(MediaPrompt, RunsAreBeginSoftTokensEnd) {
  MediaTokenIds t = golden_token_ids();
  auto out = expand_prompt_ids({2, t.audio, t.image, 5}, t, {2}, {3});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->ids, (std::vector<int64_t>{2, t.boa, t.audio, t.audio, t.audio, t.eoa, t.boi, t.image, t.image, t.eoi, 5}));
  EXPECT_EQ(out->mm_token_type_ids, (std::vector<int64_t>{0, 0, 3, 3, 3, 0, 0, 1, 1, 0, 0}));
  EXPECT_TRUE(prompt_is_expanded(out->ids, t));
  EXPECT_FALSE(prompt_is_expanded({2, t.image}, t));
}

}  // namespace
}  // namespace hfb::media
