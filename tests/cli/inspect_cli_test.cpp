// `hfbundle inspect`: exit codes, the --json object on the fixtures, and one clear stderr line on bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace hfb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kGemma4 = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `hfbundle <args>` capturing stdout and stderr.
Outcome inspect(const std::string& args) {
  const fs::path err_path = fs::temp_directory_path() / ("hfb_inspect_cli_" + std::to_string(::getpid()) + ".err");
  const std::string command = std::string(HFB_CLI_PATH) + " " + args + " 2>" + err_path.string();
  Outcome o;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return o;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) o.out.append(buffer, n);
  const int status = pclose(pipe);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  std::ostringstream text;
  text << err.rdbuf();
  o.err = text.str();
  std::error_code ec;
  fs::remove(err_path, ec);
  return o;
}

json inspect_json(const std::string& fixture) {
  Outcome o = inspect("inspect " + kGemma4 + fixture + " --json");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(o.err.empty()) << o.err;
  return json::parse(o.out);
}

TEST(InspectCli, SampleJson) {
  const json j = inspect_json("sample");
  EXPECT_EQ(j["format"], "hf-safetensors");
  EXPECT_EQ(j["architecture"], "Gemma4ForCausalLM");
  EXPECT_EQ(j["num_tensors"], 67);
  EXPECT_EQ(j["tensors"].size(), 67u);
  uint64_t sum = 0;
  for (const json& t : j["tensors"]) {
    sum += t["num_bytes"].get<uint64_t>();
    EXPECT_EQ(t["dtype"], "BF16");
    EXPECT_TRUE(t["used"].get<bool>());
    EXPECT_TRUE(t.contains("role") && t.contains("tower") && t.contains("layer") && t.contains("shape"));
  }
  EXPECT_EQ(j["total_bytes"].get<uint64_t>(), sum);
  EXPECT_EQ(j["text"]["num_hidden_layers"], 4);
  EXPECT_EQ(j["text"]["hidden_size"], 64);
  EXPECT_EQ(j["text"]["vocab_size"], 512);
  const json& layers = j["text"]["layers"];
  ASSERT_EQ(layers.size(), 4u);
  EXPECT_EQ(layers[1]["attention"], "full");
  EXPECT_EQ(layers[1]["head_dim"], 64);
  EXPECT_EQ(layers[0]["attention"], "sliding");
  EXPECT_TRUE(layers[0]["kv_shared_from"].is_null());
  EXPECT_EQ(layers[3]["kv_shared_from"], 1);
  EXPECT_EQ(layers[2]["num_kv_heads"], 1);
  EXPECT_EQ(layers[2]["intermediate_size"], 192);
  EXPECT_TRUE(j["audio"].is_null());
  EXPECT_TRUE(j["vision"].is_null());
  EXPECT_TRUE(j["diagnostics"].empty());
}

TEST(InspectCli, RolesAndUnusedInJson) {
  const json release = inspect_json("sample-release");
  int unused = 0;
  for (const json& t : release["tensors"]) {
    if (t["name"] == "model.layers.0.self_attn.q_proj.weight") {
      EXPECT_EQ(t["role"], "attn_q");
      EXPECT_EQ(t["tower"], "text");
      EXPECT_EQ(t["layer"], 0);
      EXPECT_EQ(t["shape"], json::array({64, 64}));
    }
    if (t["name"] == "model.embed_tokens.weight") {
      EXPECT_TRUE(t["layer"].is_null());
    }
    if (!t["used"].get<bool>()) {
      ++unused;
      EXPECT_FALSE(t["unused_reason"].get<std::string>().empty());
    }
  }
  EXPECT_EQ(unused, 6);
  EXPECT_EQ(release["num_unused"], 6);

  const json mm = inspect_json("mm-clipscope");
  EXPECT_EQ(mm["architecture"], "Gemma4ForConditionalGeneration");
  EXPECT_EQ(mm["num_unused"], 56);
  ASSERT_TRUE(mm["audio"].is_object());
  EXPECT_EQ(mm["audio"]["use_clipped_linears"], true);
  ASSERT_TRUE(mm["vision"].is_object());
  EXPECT_EQ(mm["vision"]["use_clipped_linears"], false);
  EXPECT_EQ(mm["bytes_by_role"]["clip_bound"]["count"], 136);  // 80 audio + 56 vision
}

TEST(InspectCli, HumanReport) {
  Outcome o = inspect("inspect " + kGemma4 + "sample-release");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("architecture: Gemma4ForCausalLM"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("tensors: 73"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("by dtype:"), std::string::npos);
  EXPECT_NE(o.out.find("attn_q "), std::string::npos);
  EXPECT_NE(o.out.find("unused tensors: 6"), std::string::npos);
  EXPECT_NE(o.out.find("model.layers.3.self_attn.k_proj.weight: kv-shared layer 3 reads layer 1's K/V"),
            std::string::npos);
}

TEST(InspectCli, ExplicitConfigFile) {
  Outcome o = inspect("inspect " + kGemma4 + "text-kveqv --json --config " + kGemma4 +
                      "text-kveqv/config.release_format.json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const json j = json::parse(o.out);
  EXPECT_EQ(j["text"]["layers"][4]["intermediate_size"], 224);
  EXPECT_EQ(j["text"]["layers"][4]["k_eq_v"], true);
}

// Lines of `text` that are node lines ("out [dims] = op(...)  # name").
int count_node_lines(const std::string& text) {
  std::istringstream in(text);
  int nodes = 0;
  for (std::string line; std::getline(in, line);) {
    nodes += line.find(" = ") != std::string::npos && line.find("  # ") != std::string::npos;
  }
  return nodes;
}

TEST(InspectCli, GraphOfATextCheckpoint) {
  Outcome o = inspect("inspect " + kGemma4 + "sample --graph");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  ASSERT_EQ(o.out.rfind("graph: ", 0), 0u) << o.out.substr(0, 200);
  const int nodes = std::stoi(o.out.substr(7));
  EXPECT_GT(nodes, 4 * 10);  // 4 decoder layers of several ops each
  EXPECT_EQ(count_node_lines(o.out), nodes);
  EXPECT_NE(o.out.find("input input_ids: "), std::string::npos);
  EXPECT_NE(o.out.find("initializer model.layers.0.self_attn.q_proj.weight: BF16 [64, 64] (attn_q)"),
            std::string::npos);
  EXPECT_NE(o.out.find(" = attention("), std::string::npos);
  EXPECT_NE(o.out.find("\noutput logits\n"), std::string::npos);
  EXPECT_EQ(o.out.find("# media sizes"), std::string::npos);
}

TEST(InspectCli, GraphOfAMultimodalCheckpointWithAndWithoutTowers) {
  Outcome full = inspect("inspect " + kGemma4 + "mm --graph");
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_NE(full.out.find("# media sizes: audio_frames=16 image_patches=9 image_soft_tokens=1"), std::string::npos)
      << full.out.substr(0, 300);
  for (const char* op : {" = conv2d(", " = masked_attention(", " = position_pool(", " = scatter_tokens("}) {
    EXPECT_NE(full.out.find(op), std::string::npos) << op;
  }
  EXPECT_NE(full.out.find("input pixel_values: "), std::string::npos);
  Outcome text = inspect("inspect " + kGemma4 + "mm --graph --audio-frames 0 --image-patches 0");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_LT(count_node_lines(text.out), count_node_lines(full.out));
  EXPECT_EQ(text.out.find(" = conv2d("), std::string::npos);
  Outcome bad = inspect("inspect " + kGemma4 + "mm --graph --image-patches 10");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}

TEST(InspectCli, ASafetensorsFileIsACheckpointNotAZippedBundle) {
  Outcome o = inspect("inspect " + kGemma4 + "sample/model.safetensors --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(json::parse(o.out)["format"], "hf-safetensors");
}

TEST(InspectCli, JsonShowsTheChunkPlanConvertWouldWrite) {
  Outcome o = inspect("inspect " + kGemma4 + "sample --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  json j = json::parse(o.out);
  ASSERT_TRUE(j.contains("chunk_plan"));
  std::vector<std::pair<int, int>> layers;
  for (const json& c : j["chunk_plan"]["chunks"]) {
    if (c["kind"] == "decoder") layers.emplace_back(c["layers"][0].get<int>(), c["layers"][1].get<int>());
  }
  // sample: 4 layers, the last 2 KV-shared; auto puts a boundary at the end of the non-shared region.
  ASSERT_GE(layers.size(), 2u);
  EXPECT_EQ(layers.front().first, 0);
  EXPECT_EQ(layers.back().second, 4);
  for (size_t i = 1; i < layers.size(); ++i) EXPECT_EQ(layers[i].first, layers[i - 1].second);
  bool boundary_at_2 = false;
  for (const auto& l : layers) boundary_at_2 = boundary_at_2 || l.first == 2;
  EXPECT_TRUE(boundary_at_2);

  Outcome explicit_plan = inspect("inspect " + kGemma4 + "sample --json --chunks 0-1,2-3");
  ASSERT_EQ(explicit_plan.exit_code, 0) << explicit_plan.err;
  const json plan = json::parse(explicit_plan.out);
  int decoders = 0;
  for (const json& c : plan["chunk_plan"]["chunks"]) decoders += c["kind"] == "decoder" ? 1 : 0;
  EXPECT_EQ(decoders, 2);

  Outcome bad = inspect("inspect " + kGemma4 + "sample --chunks 0-1,5-3");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--chunks"), std::string::npos) << bad.err;
}

TEST(InspectCli, BadInputExitsTwoWithOneLine) {
  Outcome missing = inspect("inspect " + kGemma4 + "no-such-checkpoint");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(missing.out.empty());
  EXPECT_EQ(missing.err, "hfbundle: " + kGemma4 + "no-such-checkpoint: checkpoint directory not found\n");

  Outcome wrong_config = inspect("inspect " + kGemma4 + "sample --config " + kGemma4 + "mm/config.json");
  EXPECT_EQ(wrong_config.exit_code, 2);
  EXPECT_EQ(std::count(wrong_config.err.begin(), wrong_config.err.end(), '\n'), 1) << wrong_config.err;
  EXPECT_NE(wrong_config.err.find("model.safetensors: tensor 'model."), std::string::npos) << wrong_config.err;
  EXPECT_NE(wrong_config.err.find("not a tensor of Gemma4ForConditionalGeneration with this config.json"),
            std::string::npos)
      << wrong_config.err;

  Outcome usage = inspect("inspect");
  EXPECT_EQ(usage.exit_code, 2);
  Outcome bad_flag = inspect("inspect " + kGemma4 + "sample --no-such-flag");
  EXPECT_EQ(bad_flag.exit_code, 2);
}

}  // namespace
}  // namespace hfb
