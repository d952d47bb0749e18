// `hfbundle inspect BUNDLE`: the manifest as JSON and text, --check, and --tensor with --raw-out / --dequant-out on
// a float bundle written by `hfbundle convert` and on an encoded bundle (q4_0, int8, kmeans4) written here.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "models/load_checkpoint.h"
#include "quant/scheme.h"
#include "writers/bundle_writer.h"

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

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Outcome hfbundle(const std::string& args) {
  const std::string err_path = (fs::temp_directory_path() / ("hfb_inspect_bundle_" + std::to_string(::getpid()) +
                                                             ".err")).string();
  Outcome o;
  FILE* pipe = popen((std::string(HFB_CLI_PATH) + " " + args + " 2>" + err_path).c_str(), "r");
  if (!pipe) return o;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) o.out.append(buffer, n);
  const int status = pclose(pipe);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.err = read_file(err_path);
  fs::remove(err_path);
  return o;
}

/// A scratch directory with one float bundle of fixture `sample`, converted once for the whole suite.
class InspectBundle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(fs::temp_directory_path() / ("hfb_inspect_bundle_" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    Outcome o = hfbundle("convert " + kGemma4 + "sample -o " + *dir_ + "/x.hfb --quiet");
    ASSERT_EQ(o.exit_code, 0) << o.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string path(const std::string& name) { return *dir_ + "/" + name; }
  static std::string* dir_;
};

std::string* InspectBundle::dir_ = nullptr;

TEST_F(InspectBundle, JsonListsEveryTensorAndTheManifest) {
  Outcome o = hfbundle("inspect " + path("x.hfb") + " --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const json j = json::parse(o.out);
  auto model = load_checkpoint(kGemma4 + "sample");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(j["format"], "hfbundle");
  EXPECT_EQ(j["container"], "directory");
  EXPECT_EQ(j["version"]["major"], 1);
  EXPECT_EQ(j["source"]["checkpoint_name"], "sample");
  EXPECT_EQ(j["config"]["architecture"], "Gemma4ForCausalLM");
  EXPECT_EQ(j["config"]["text"]["num_hidden_layers"], 4);
  EXPECT_FALSE(j["chunks"].empty());
  // Each chunk's graph boundary: a decoder chunk of a KV-shared layer imports its source layer's cache.
  std::set<std::string> imported;
  for (const json& c : j["chunks"]) {
    for (const json& s : c["imported_states"]) imported.insert(s.get<std::string>());
    if (c["num_nodes"].get<int>() > 0) {
      EXPECT_FALSE(c["graph_outputs"].empty()) << c.dump();
    }
  }
  EXPECT_FALSE(imported.empty());
  EXPECT_FALSE(j["files"].empty());
  EXPECT_TRUE(j["passes"].is_array());
  EXPECT_TRUE(j["coverage"].is_array());
  std::set<std::string> listed;
  uint64_t sum = 0;
  for (const json& t : j["tensors"]) {
    listed.insert(t["name"].get<std::string>());
    sum += t["num_bytes"].get<uint64_t>();
    ASSERT_EQ(t["segments"].size(), 1u) << t.dump();
    EXPECT_EQ(t["segments"][0]["offset"].get<uint64_t>() % 64, 0u);
  }
  EXPECT_EQ(j["num_tensors"].get<size_t>(), listed.size());
  EXPECT_EQ(j["total_bytes"].get<uint64_t>(), sum);
  for (const TensorInfo& info : model->tensors.tensors()) {
    if (info.used) {
      EXPECT_TRUE(listed.count(info.name)) << info.name;
    }
  }
}

TEST_F(InspectBundle, TextReportAndChecksums) {
  Outcome o = hfbundle("inspect " + path("x.hfb") + " --check");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.err.find("checksums ok"), std::string::npos) << o.err;
  for (const char* line : {"format: 1.", "source: sample", "config: Gemma4ForCausalLM", "chunks: ", "files: ",
                           "tensors: ", "model.embed_tokens.weight  BF16 [512, 64]", "imports kv.", "passes: ", "coverage: "}) {
    EXPECT_NE(o.out.find(line), std::string::npos) << line << "\n" << o.out;
  }
}

TEST_F(InspectBundle, GraphIsTheStoredTextGraph) {
  Outcome o = hfbundle("inspect " + path("x.hfb") + " --graph");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Outcome checkpoint = hfbundle("inspect " + kGemma4 + "sample --graph");
  ASSERT_EQ(checkpoint.exit_code, 0) << checkpoint.err;
  ASSERT_EQ(o.out.rfind("graph: ", 0), 0u) << o.out.substr(0, 200);
  EXPECT_EQ(o.out.substr(0, o.out.find('\n')), checkpoint.out.substr(0, checkpoint.out.find('\n')));
  EXPECT_NE(o.out.find("\noutput logits\n"), std::string::npos);
  Outcome listed = hfbundle("inspect " + path("x.hfb") + " --json");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const json j = json::parse(listed.out);
  EXPECT_EQ(j["text_graph"]["nodes"].get<int>(), std::stoi(o.out.substr(7)));
  Outcome bad = hfbundle("inspect " + path("x.hfb") + " --graph --audio-frames 4");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("work on checkpoints only"), std::string::npos) << bad.err;
}

TEST_F(InspectBundle, CheckFailsWithExitOneOnACorruptSegment) {
  const std::string copy = path("corrupt.hfb");
  fs::copy(path("x.hfb"), copy, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  const std::string chunk = copy + "/embedding.bin";
  ASSERT_TRUE(fs::exists(chunk));
  std::string bytes = read_file(chunk);
  bytes[bytes.size() / 2] ^= 0x40;
  std::ofstream(chunk, std::ios::binary | std::ios::trunc).write(bytes.data(), bytes.size());
  EXPECT_EQ(hfbundle("inspect " + copy).exit_code, 0);  // structure is fine
  Outcome o = hfbundle("inspect " + copy + " --check");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("embedding.bin"), std::string::npos) << o.err;
}

TEST_F(InspectBundle, RawOutIsTheSourceBytesAndDequantOutTheWidening) {
  auto model = load_checkpoint(kGemma4 + "sample");
  ASSERT_TRUE(model.ok());
  for (const char* name : {"model.embed_tokens.weight", "model.layers.1.self_attn.q_proj.weight",
                           "model.layers.0.input_layernorm.weight"}) {
    SCOPED_TRACE(name);
    Outcome o = hfbundle("inspect " + path("x.hfb") + " --tensor " + name + " --raw-out " + path("t.raw") +
                         " --dequant-out " + path("t.f32"));
    ASSERT_EQ(o.exit_code, 0) << o.err;
    auto view = model->tensors.view(name);
    ASSERT_TRUE(view.ok());
    const std::string raw = read_file(path("t.raw"));
    ASSERT_EQ(raw.size(), view->bytes.size);
    EXPECT_EQ(std::memcmp(raw.data(), view->bytes.data, raw.size()), 0);
    auto widened = tensor_to_f32(*model->tensors.find(name));
    ASSERT_TRUE(widened.ok());
    const std::string f32 = read_file(path("t.f32"));
    ASSERT_EQ(f32.size(), widened->size() * sizeof(float));
    EXPECT_EQ(std::memcmp(f32.data(), widened->data(), f32.size()), 0);
  }
}

TEST_F(InspectBundle, SingleTensorEntryAndBadInput) {
  Outcome entry = hfbundle("inspect " + path("x.hfb") + " --tensor model.embed_tokens.weight --json");
  ASSERT_EQ(entry.exit_code, 0) << entry.err;
  EXPECT_EQ(json::parse(entry.out)["shape"], json::array({512, 64}));

  Outcome unknown = hfbundle("inspect " + path("x.hfb") + " --tensor no.such.tensor --raw-out " + path("u.raw"));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(unknown.out.empty());
  EXPECT_NE(unknown.err.find("no tensor named 'no.such.tensor'"), std::string::npos) << unknown.err;
  EXPECT_FALSE(fs::exists(path("u.raw")));

  Outcome no_tensor = hfbundle("inspect " + path("x.hfb") + " --raw-out " + path("u.raw"));
  EXPECT_EQ(no_tensor.exit_code, 2);
  EXPECT_NE(no_tensor.err.find("need --tensor"), std::string::npos) << no_tensor.err;
}

TEST_F(InspectBundle, ZippedZstdBundleGivesTheSameBytes) {
  Outcome converted = hfbundle("convert " + kGemma4 + "sample -o " + path("z.hfb.zip") + " --zip --zstd 3 --quiet");
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  Outcome o = hfbundle("inspect " + path("z.hfb.zip") + " --json --check");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const json j = json::parse(o.out);
  EXPECT_EQ(j["container"], "zip");
  bool compressed = false;
  for (const json& f : j["files"]) compressed = compressed || f["compression"] == "zstd";
  EXPECT_TRUE(compressed);
  const std::string name = "model.layers.2.mlp.down_proj.weight";
  ASSERT_EQ(hfbundle("inspect " + path("z.hfb.zip") + " --tensor " + name + " --raw-out " + path("z.raw")).exit_code,
            0);
  ASSERT_EQ(hfbundle("inspect " + path("x.hfb") + " --tensor " + name + " --raw-out " + path("d.raw")).exit_code, 0);
  EXPECT_EQ(read_file(path("z.raw")), read_file(path("d.raw")));
  EXPECT_FALSE(read_file(path("z.raw")).empty());
}

// grid-q4_0's weights lie on the q4_0 / int8 grids, so a quantized bundle decodes to exactly the source values, and
// a q4_0 tensor's stored bytes are exactly what the q4_0 encoder makes of the source.
TEST_F(InspectBundle, QuantizedConvertOfAGridCheckpointDecodesExactly) {
  Outcome converted = hfbundle("convert " + kGemma4 + "grid-q4_0 -o " + path("g.hfb") + " --quant q4_0 --quiet");
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  Outcome listed = hfbundle("inspect " + path("g.hfb") + " --json");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto model = load_checkpoint(kGemma4 + "grid-q4_0");
  ASSERT_TRUE(model.ok());
  int q4_0 = 0, int8 = 0;
  const json manifest = json::parse(listed.out);
  for (const json& t : manifest["tensors"]) {
    if (t["scheme"].is_null()) continue;
    const std::string name = t["name"];
    SCOPED_TRACE(name);
    const std::string scheme = t["scheme"];
    q4_0 += scheme == "q4_0";
    int8 += scheme == "int8";
    Outcome o = hfbundle("inspect " + path("g.hfb") + " --tensor " + name + " --raw-out " + path("g.raw") +
                         " --dequant-out " + path("g.f32"));
    ASSERT_EQ(o.exit_code, 0) << o.err;
    const TensorInfo* info = model->tensors.find(name);
    ASSERT_NE(info, nullptr);
    auto source = tensor_to_f32(*info);
    ASSERT_TRUE(source.ok());
    const std::string f32 = read_file(path("g.f32"));
    ASSERT_EQ(f32.size(), source->size() * sizeof(float));
    std::vector<float> decoded(source->size());
    std::memcpy(decoded.data(), f32.data(), f32.size());
    size_t differing = 0;  // compared as numbers: a -0 source weight decodes to +0
    for (size_t i = 0; i < decoded.size(); ++i) differing += decoded[i] != (*source)[i];
    EXPECT_EQ(differing, 0u);
    if (scheme != "q4_0") continue;
    auto enc = quantize(Scheme::kQ4_0, *info, QuantParams{});
    ASSERT_TRUE(enc.ok()) << enc.error().to_string();
    EXPECT_EQ(read_file(path("g.raw")), std::string(enc->codes.begin(), enc->codes.end()));
  }
  EXPECT_GE(q4_0, 20);
  EXPECT_GE(int8, 2);
}

// An encoded tensor of `scheme` made from a deterministic float matrix [rows, cols].
EncodedTensor encode(Scheme scheme, const std::string& name, int64_t rows, int64_t cols, QuantParams params) {
  std::vector<float> values(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < values.size(); ++i) values[i] = std::sin(0.37f * static_cast<float>(i)) * (1 + i % 7);
  SourceMatrix src{values.data(), DTypeId::kF32, rows, cols, name};
  auto enc = quantize(scheme, src, params);
  EXPECT_TRUE(enc.ok()) << enc.error().to_string();
  return std::move(enc).value();
}

void write_encoded(BundleWriter& writer, const EncodedTensor& enc) {
  BundleTensorMeta meta;
  meta.name = enc.name;
  meta.role = Role::kAttnQ;
  meta.dtype = DTypeId::kF32;
  meta.shape = enc.shape;
  meta.scheme = std::string(scheme_name(enc.scheme));
  meta.group_size = scheme_name(enc.scheme).rfind("kmeans", 0) == 0 ? static_cast<uint32_t>(enc.params.group_size) : 0;
  meta.block_size = static_cast<uint32_t>(enc.params.block_size);
  meta.scale_dtype = enc.scales.empty() ? "" : (enc.params.f32_scales ? "F32" : "F16");
  meta.per_tensor = enc.params.per_tensor;
  std::vector<std::pair<std::string, ByteSpan>> parts = {{"codes", {enc.codes.data(), enc.codes.size()}}};
  if (!enc.scales.empty()) parts.push_back({"scales", {enc.scales.data(), enc.scales.size()}});
  if (!enc.lut.empty()) {
    parts.push_back({"lut", {reinterpret_cast<const uint8_t*>(enc.lut.data()), enc.lut.size() * sizeof(float)}});
  }
  ASSERT_TRUE(writer.write_tensor_parts(meta, "chunk_00.bin", parts).ok());
}

TEST_F(InspectBundle, EncodedTensorsRawSegmentsAndDequantizedValues) {
  QuantParams kmeans;
  kmeans.group_size = 4;
  QuantParams int8;
  int8.block_size = 32;
  const std::vector<EncodedTensor> tensors = {encode(Scheme::kQ4_0, "w.q4_0", 6, 64, {}),
                                              encode(Scheme::kInt8, "w.int8", 5, 64, int8),
                                              encode(Scheme::kKmeans4, "w.kmeans4", 8, 32, kmeans)};
  auto writer = BundleWriter::create(path("q.hfb"), {});
  ASSERT_TRUE(writer.ok()) << writer.error().to_string();
  ASSERT_TRUE((*writer)->add_file("chunk_00.bin", BundleFileKind::kChunk).ok());
  for (const EncodedTensor& enc : tensors) write_encoded(**writer, enc);
  ASSERT_TRUE((*writer)->finish().ok());

  Outcome listed = hfbundle("inspect " + path("q.hfb") + " --json --check");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const json j = json::parse(listed.out);
  ASSERT_EQ(j["tensors"].size(), 3u);
  EXPECT_EQ(j["tensors"][0]["scheme"], "q4_0");
  EXPECT_EQ(j["bytes_by_scheme"]["kmeans4"]["count"], 1);
  for (const EncodedTensor& enc : tensors) {
    SCOPED_TRACE(enc.name);
    Outcome o = hfbundle("inspect " + path("q.hfb") + " --tensor " + enc.name + " --raw-out " + path("e.raw") +
                         " --dequant-out " + path("e.f32"));
    ASSERT_EQ(o.exit_code, 0) << o.err;
    std::string expected_raw(enc.codes.begin(), enc.codes.end());
    expected_raw.append(enc.scales.begin(), enc.scales.end());
    expected_raw.append(reinterpret_cast<const char*>(enc.lut.data()), enc.lut.size() * sizeof(float));
    EXPECT_EQ(read_file(path("e.raw")), expected_raw);
    std::vector<float> expected(static_cast<size_t>(enc.rows * enc.cols));
    dequantize_rows(enc, 0, enc.rows, expected.data());
    const std::string f32 = read_file(path("e.f32"));
    ASSERT_EQ(f32.size(), expected.size() * sizeof(float));
    EXPECT_EQ(std::memcmp(f32.data(), expected.data(), f32.size()), 0);
  }
}

}  // namespace
}  // namespace hfb
