// conv-norm-swap on a real checkpoint: a copy of the mm fixture whose lconv1d pre_layer_norm / conv_norm
// tensor names are swapped in every conformer layer (as llama.cpp's mapping does) fails audio parity;
// after the pass rewires its graph, parity is back, bit for bit the unswapped model's.
#include <gtest/gtest.h>

#include <cstring>

#include "models/load_checkpoint.h"
#include "passes/conv_norm_swap.h"
#include "tests/e2e/fixture_copy.h"
#include "tests/e2e/pass_parity.h"

namespace hfb {
namespace {

const std::string kMm = std::string(HFB_FIXTURES_DIR) + "/gemma4/mm";

std::string swap_lconv_norms(const std::string& name) {
  static const std::string kPre = "lconv1d.pre_layer_norm.weight", kConv = "lconv1d.conv_norm.weight";
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(kPre)) return name.substr(0, name.size() - kPre.size()) + kConv;
  if (ends_with(kConv)) return name.substr(0, name.size() - kConv.size()) + kPre;
  return name;
}

TEST(ConvNormSwapFixture, SwappedNormsFailAudioParityUntilThePassSwapsThemBack) {
  test::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  ASSERT_TRUE(test::copy_fixture(kMm, dir.path()));
  ASSERT_TRUE(test::rename_safetensors_tensors(dir.path() + "/model.safetensors", swap_lconv_norms));
  auto original = load_checkpoint(kMm);
  ASSERT_TRUE(original.ok()) << original.error().to_string();
  auto swapped = load_checkpoint(dir.path());
  ASSERT_TRUE(swapped.ok()) << swapped.error().to_string();
  // The copy really has the names swapped: its pre_layer_norm holds the original conv_norm's bytes.
  for (int layer = 0; layer < 3; ++layer) {
    const std::string base = "model.audio_tower.layers." + std::to_string(layer) + ".lconv1d.";
    auto pre = swapped->tensors.view(base + "pre_layer_norm.weight");
    auto conv = original->tensors.view(base + "conv_norm.weight");
    auto old_pre = original->tensors.view(base + "pre_layer_norm.weight");
    ASSERT_TRUE(pre.ok() && conv.ok() && old_pre.ok()) << layer;
    ASSERT_EQ(pre->bytes.size, conv->bytes.size);
    EXPECT_EQ(std::memcmp(pre->bytes.data, conv->bytes.data, conv->bytes.size), 0) << layer;
    EXPECT_NE(std::memcmp(pre->bytes.data, old_pre->bytes.data, conv->bytes.size), 0) << layer;
  }
  auto golden = load_golden(kMm);
  ASSERT_TRUE(golden.ok()) << golden.error().to_string();

  const test::ParitySummary baseline = test::verify_rewritten(*original, *golden, test::identity_rewrite());
  ASSERT_TRUE(baseline.ok && baseline.pass);
  const test::ParitySummary broken = test::verify_rewritten(*swapped, *golden, test::identity_rewrite());
  ASSERT_TRUE(broken.ok);
  EXPECT_FALSE(broken.pass);
  EXPECT_EQ(broken.status_of("mm_audio"), "fail");
  EXPECT_EQ(broken.status_of("mm_audio_image"), "fail");
  EXPECT_EQ(broken.status_of("mm_image"), "pass");  // only the audio tower reads the swapped norms
  EXPECT_EQ(broken.status_of("case0"), "pass");

  static const ConvNormSwapPass kSwap;
  const test::ParitySummary fixed = test::verify_rewritten(*swapped, *golden, test::passes_rewrite(*swapped, {&kSwap}));
  EXPECT_TRUE(fixed.pass);
  EXPECT_EQ(fixed.statuses, baseline.statuses);
  EXPECT_EQ(fixed.max_abs, baseline.max_abs);
  // On the HF checkpoint itself the pass breaks audio parity: it is opt-in for that reason.
  const test::ParitySummary misapplied =
      test::verify_rewritten(*original, *golden, test::passes_rewrite(*original, {&kSwap}));
  EXPECT_EQ(misapplied.status_of("mm_audio"), "fail");
}

}  // namespace
}  // namespace hfb
