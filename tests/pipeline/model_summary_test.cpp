// model_summary_json / model_summary_text: the inspect payload, checked without running the binary.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "models/load_checkpoint.h"
#include "pipeline/model_summary.h"

namespace hfb {
namespace {

const std::string kGemma4 = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

TEST(ModelSummary, JsonFieldsForMultimodal) {
  auto model = load_checkpoint(kGemma4 + "mm");
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  const auto j = nlohmann::json::parse(model_summary_json(*model));
  EXPECT_EQ(j["format"], "hf-safetensors");
  EXPECT_EQ(j["model_type"], "gemma4");
  EXPECT_EQ(j["num_tensors"].get<size_t>(), model->tensors.size());
  EXPECT_EQ(j["text"]["layers"].size(), 6u);
  EXPECT_EQ(j["text"]["layers"][5]["rope"]["type"], "proportional");
  EXPECT_EQ(j["text"]["layers"][5]["rope"]["partial_rotary_factor"], 0.25);
  EXPECT_EQ(j["audio"]["subsampling_conv_channels"], nlohmann::json::array({24, 12}));
  EXPECT_EQ(j["vision"]["standardize"], true);
  EXPECT_EQ(j["token_ids"]["image"], 882);
  EXPECT_EQ(j["generation"]["eos_token_ids"], nlohmann::json::array({1}));
  uint64_t by_dtype = 0;
  for (const auto& [name, tally] : j["bytes_by_dtype"].items()) by_dtype += tally["bytes"].get<uint64_t>();
  EXPECT_EQ(by_dtype, j["total_bytes"].get<uint64_t>());
  EXPECT_EQ(j["bytes_by_role"]["embedder_projection"]["count"], 2);
}

TEST(ModelSummary, DiagnosticsAndHostileNames) {
  Model model;
  model.config.architecture = "Gemma4ForCausalLM";
  TensorInfo info;
  info.name = "bad\xff name";
  info.used = false;
  info.unused_reason = "test";
  model.tensors.add(info);
  model.diagnostics.push_back({Diagnostic::Severity::kWarning, "clip bounds missing", "x"});
  const auto j = nlohmann::json::parse(model_summary_json(model, "bundle"));  // no throw on bad UTF-8
  EXPECT_EQ(j["format"], "bundle");
  EXPECT_EQ(j["diagnostics"][0]["severity"], "warning");
  EXPECT_EQ(j["tensors"][0]["unused_reason"], "test");
  const std::string text = model_summary_text(model);
  EXPECT_NE(text.find("warnings: 1\n  warning: clip bounds missing"), std::string::npos) << text;
  EXPECT_NE(text.find("unused tensors: 1"), std::string::npos);
}

TEST(ModelSummary, TextHasLayerTable) {
  auto model = load_checkpoint(kGemma4 + "text-kveqv");
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  const std::string text = model_summary_text(*model);
  EXPECT_NE(text.find("layer  attention  head_dim"), std::string::npos) << text;
  EXPECT_NE(text.find("      4  full             56      4         1        1  yes           224"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace hfb
