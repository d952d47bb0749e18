// The Gemma 4 GGUF import's value transforms and its registry entry (the import itself runs against llama.cpp's
// files in tests/pipeline/gguf_import_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "models/gemma4/gemma4_gguf_import.h"
#include "models/model_family.h"

namespace hfb {
namespace {

TEST(Gemma4GgufImport, InverseSoftplusUndoesTheConvertersSoftplus) {
  for (float x : {-3.0f, -0.5f, 0.0f, 0.125f, 1.0f, 4.0f, 19.5f}) {
    const float y = std::log1p(std::exp(x));  // as llama.cpp's converter computes it (float32)
    const auto back = gemma4_gguf::inverse_softplus(y);
    ASSERT_TRUE(back.has_value()) << x;
    EXPECT_NEAR(*back, x, 1e-5 * std::max(1.0f, std::fabs(x))) << x;
  }
  EXPECT_FALSE(gemma4_gguf::inverse_softplus(0.0f).has_value());   // softplus is never 0
  EXPECT_FALSE(gemma4_gguf::inverse_softplus(-1.0f).has_value());
  EXPECT_FALSE(gemma4_gguf::inverse_softplus(NAN).has_value());
  EXPECT_FALSE(gemma4_gguf::inverse_softplus(INFINITY).has_value());
}

TEST(Gemma4GgufImport, PatchRowUnpermutesGgmlsChannelMajorOrder) {
  // p = 2: HF (p, p, 3) order is pixel-major with the channel fastest; ggml's is channel-major.
  const int64_t cols = 12;
  std::vector<float> ggml(cols);
  for (int64_t c = 0; c < 3; ++c) {
    for (int64_t i = 0; i < 4; ++i) ggml[c * 4 + i] = static_cast<float>(10 * i + c);  // value = pixel*10 + channel
  }
  std::vector<float> hf(cols);
  gemma4_gguf::unpermute_patch_row(ggml.data(), cols, hf.data());
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t c = 0; c < 3; ++c) EXPECT_EQ(hf[i * 3 + c], static_cast<float>(10 * i + c));
  }
}

TEST(Gemma4GgufImport, TheRegistryFindsTheImporterByArchitecture) {
  const ModelFamily* family = find_gguf_model_family("gemma4");
  ASSERT_NE(family, nullptr);
  EXPECT_STREQ(family->name, "gemma4");
  EXPECT_NE(family->import_gguf, nullptr);
  EXPECT_EQ(find_gguf_model_family("llama"), nullptr);
  EXPECT_EQ(find_gguf_model_family("clip"), nullptr);
  EXPECT_EQ(find_gguf_model_family(""), nullptr);
}

}  // namespace
}  // namespace hfb
