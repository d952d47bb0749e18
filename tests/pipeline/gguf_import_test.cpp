// GGUF import against llama.cpp's own files (fixtures/gemma4/gguf, written by its converter and quantizer): the
// imported Model holds the checkpoint's tensors (names, shapes, values), verifies against the sets' HF goldens in
// hfbundle's runtime, keeps q4_0 blocks encoded, and refuses what it cannot map.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

#include "models/load_checkpoint.h"
#include "models/load_gguf.h"
#include "models/model_family.h"
#include "pipeline/gguf_export.h"
#include "quant/ggml_blocks.h"
#include "pipeline/open_model.h"
#include "readers/tokenizer/text_tokenizer.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;
const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";
const std::string kGguf = kFixtures + "gguf/";

void expect_all_cases_pass(const Result<ParityReport>& report, size_t expected_cases) {
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_TRUE(report->pass);
  EXPECT_EQ(report->cases.size(), expected_cases);
  EXPECT_GT(report->tokens_total, 0);
  EXPECT_EQ(report->tokens_matched, report->tokens_total);
  for (const CaseReport& c : report->cases) {
    EXPECT_EQ(c.status, CaseStatus::kPass) << c.name << ": " << c.reason;
    EXPECT_LE(c.max_abs_logit_diff, 2e-3) << c.name;
    EXPECT_LE(c.prefill_max_abs_logit_diff, 2e-3) << c.name;
  }
}

/// The imported config equals the checkpoint's; GGUF stores the epsilons as FLOAT32, so those compare at float32.
void expect_same_text_config(TextConfig imported, const TextConfig& checkpoint) {
  EXPECT_EQ(static_cast<float>(imported.rms_norm_eps), static_cast<float>(checkpoint.rms_norm_eps));
  EXPECT_EQ(static_cast<float>(imported.final_logit_softcapping), static_cast<float>(checkpoint.final_logit_softcapping));
  imported.rms_norm_eps = checkpoint.rms_norm_eps;
  imported.final_logit_softcapping = checkpoint.final_logit_softcapping;
  EXPECT_EQ(imported.layers, checkpoint.layers);
  EXPECT_EQ(imported.bidirectional_attention, checkpoint.bidirectional_attention);
  EXPECT_EQ(imported.hidden_activation, checkpoint.hidden_activation);
  EXPECT_EQ(imported.pad_token_id, checkpoint.pad_token_id);
  EXPECT_EQ(imported.max_position_embeddings, checkpoint.max_position_embeddings);
  EXPECT_EQ(imported, checkpoint);
}

/// Every tensor the checkpoint's model reads is in the import with the same shape and (float) values.
void expect_same_tensors(const Model& checkpoint, const Model& imported, double per_dim_scale_rel_tolerance) {
  int compared = 0;
  for (const TensorInfo& t : checkpoint.tensors.tensors()) {
    if (!t.used) continue;
    const TensorInfo* got = imported.tensors.find(t.name);
    ASSERT_NE(got, nullptr) << t.name;
    EXPECT_EQ(got->shape, t.shape) << t.name;
    EXPECT_EQ(got->role, t.role) << t.name;
    auto want = tensor_to_f32(t);
    auto have = tensor_to_f32(*got);
    ASSERT_TRUE(want.ok() && have.ok()) << t.name;
    ASSERT_EQ(want->size(), have->size()) << t.name;
    const bool softplus = got->layer >= 0 && t.name.size() > 13 &&
                          t.name.compare(t.name.size() - 13, 13, "per_dim_scale") == 0;
    for (size_t i = 0; i < want->size(); ++i) {
      if (softplus) {
        ASSERT_NEAR((*have)[i], (*want)[i], per_dim_scale_rel_tolerance * std::max(1.0f, std::fabs((*want)[i])))
            << t.name << "[" << i << "]";
      } else {
        ASSERT_EQ((*have)[i], (*want)[i]) << t.name << "[" << i << "]";
      }
    }
    ++compared;
  }
  EXPECT_GT(compared, 0);
}

TEST(GgufImport, SampleF32HoldsTheCheckpointsTensors) {
  auto checkpoint = load_checkpoint(kFixtures + "sample");
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().to_string();
  auto imported = load_gguf_model(kGguf + "sample-f32.gguf");
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  expect_same_text_config(imported->config.text, checkpoint->config.text);
  EXPECT_EQ(imported->config.generation, checkpoint->config.generation);
  expect_same_tensors(*checkpoint, *imported, 0.0);
  // Views into the mapped file, not copies.
  const TensorInfo* embed = imported->tensors.find("model.embed_tokens.weight");
  ASSERT_NE(embed, nullptr);
  EXPECT_EQ(embed->source->path(), kGguf + "sample-f32.gguf");
}

TEST(GgufImport, SampleF32VerifiesAgainstTheGoldens) {
  expect_all_cases_pass(verify_model(kGguf + "sample-f32.gguf", kFixtures + "sample", VerifyOptions{}), 3);
}

ModelSourceOptions mm_source(bool with_config) {
  ModelSourceOptions source;
  source.mmproj_path = kGguf + "mm-mmproj-f32.gguf";
  if (with_config) source.config_path = kFixtures + "mm/config.json";
  return source;
}

TEST(GgufImport, MmWithMmprojAndConfigHoldsTheCheckpointsTensors) {
  auto checkpoint = load_checkpoint(kFixtures + "mm");
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().to_string();
  GgufLoadOptions options;
  options.mmproj_path = kGguf + "mm-mmproj-f32.gguf";
  options.config_path = kFixtures + "mm/config.json";
  auto imported = load_gguf_model(kGguf + "mm-f32.gguf", options);
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  expect_same_text_config(imported->config.text, checkpoint->config.text);
  EXPECT_EQ(imported->config.vision, checkpoint->config.vision);
  EXPECT_EQ(imported->config.audio, checkpoint->config.audio);
  EXPECT_TRUE(imported->audio_refusal.empty());
  // Patch projection permuted back, depthwise conv unsqueezed, lconv1d norms unswapped: equal values. The audio
  // per_dim_scale went through softplus in float32 and back in float64: equal to float32 rounding.
  expect_same_tensors(*checkpoint, *imported, 1e-5);
}

TEST(GgufImport, MmEveryCaseVerifiesWithConfig) {
  expect_all_cases_pass(verify_model(kGguf + "mm-f32.gguf", kFixtures + "mm", VerifyOptions{}, mm_source(true)), 6);
}

TEST(GgufImport, MmTextCasesVerifyWithoutConfig) {
  VerifyOptions options;
  options.cases = {"case0", "case1"};
  expect_all_cases_pass(verify_model(kGguf + "mm-f32.gguf", kFixtures + "mm", options, mm_source(false)), 2);
}

TEST(GgufImport, MmAudioWithoutConfigIsRefusedNamingTheFieldsAndTheFlag) {
  GgufLoadOptions load;
  load.mmproj_path = kGguf + "mm-mmproj-f32.gguf";
  auto imported = load_gguf_model(kGguf + "mm-f32.gguf", load);
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  EXPECT_FALSE(imported->config.audio.has_value());
  VerifyOptions options;
  options.cases = {"mm_audio"};
  auto report = verify_model(kGguf + "mm-f32.gguf", kFixtures + "mm", options, mm_source(false));
  ASSERT_FALSE(report.ok());
  const std::string message = report.error().to_string();
  EXPECT_NE(message.find("attention_chunk_size"), std::string::npos) << message;
  EXPECT_NE(message.find("attention_context_left"), std::string::npos) << message;
  EXPECT_NE(message.find("--config"), std::string::npos) << message;
}

TEST(GgufImport, Q4_0TensorsStayEncodedAndRun) {
  auto imported = load_gguf_model(kGguf + "sample-q4_0-pure.gguf");
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  int q4 = 0;
  for (const TensorInfo& t : imported->tensors.tensors()) q4 += t.dtype.id() == DTypeId::kQ4_0;
  EXPECT_GE(q4, 28);  // every linear but the 16-wide blk.*.proj (F16 in the file)
  // q4_0 weights differ from the float goldens: the run must work and agree where the golden is not a near tie.
  auto report = verify_model(kGguf + "sample-q4_0-pure.gguf", kFixtures + "sample", VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->cases.size(), 3u);
  EXPECT_GT(report->tokens_matched, 0);
}

TEST(GgufImport, Q8_0PureOpensWithItsBlocksAndRuns) {
  auto imported = load_gguf_model(kGguf + "sample-q8_0-pure.gguf");
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  int q8 = 0;
  for (const TensorInfo& t : imported->tensors.tensors()) q8 += t.dtype.id() == DTypeId::kQ8_0;
  EXPECT_GE(q8, 28);
  auto report = verify_model(kGguf + "sample-q8_0-pure.gguf", kFixtures + "sample", VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_GT(report->tokens_matched, report->tokens_total / 4);  // 8-bit weights stay close to the goldens
}

TEST(GgufImport, Q4_0BlocksComputeAsTheirGgmlDequantization) {
  // The runtime on the GGUF's q4_0 blocks vs the same model with every block tensor replaced by ggml's
  // dequantize_row_q4_0 of it in float32: the same weights, so the same logits up to summation order.
  auto blocks = load_gguf_model(kGguf + "sample-q4_0-pure.gguf");
  ASSERT_TRUE(blocks.ok()) << blocks.error().to_string();
  Model widened = *blocks;
  int replaced = 0;
  for (TensorInfo& t : widened.tensors.tensors_mutable()) {
    if (t.dtype.id() != DTypeId::kQ4_0) continue;
    auto bytes = t.source->read(t.offset, t.num_bytes);
    ASSERT_TRUE(bytes.ok());
    const int64_t n = static_cast<int64_t>(*t.shape.num_elements());
    std::vector<BlockQ4_0> q(static_cast<size_t>(n / 32));
    std::memcpy(q.data(), bytes->data, bytes->size);
    std::vector<float> values(static_cast<size_t>(n));
    dequantize_row_q4_0(q.data(), values.data(), n);
    std::vector<uint8_t> raw(values.size() * 4);
    std::memcpy(raw.data(), values.data(), raw.size());
    t.dtype = DTypeId::kF32;
    t.source = std::make_shared<MemorySource>(std::move(raw));
    t.offset = 0;
    t.num_bytes = t.source->size();
    ++replaced;
  }
  ASSERT_GE(replaced, 28);
  auto a = open_model_session(*blocks);
  auto b = open_model_session(widened);
  ASSERT_TRUE(a.ok() && b.ok());
  const std::vector<int64_t> prompt{2, 17, 301, 45, 99, 7, 250, 3, 88};
  auto la = a->session->prefill(prompt, nullptr, nullptr);
  auto lb = b->session->prefill(prompt, nullptr, nullptr);
  ASSERT_TRUE(la.ok() && lb.ok());
  ASSERT_EQ(la->data.size(), lb->data.size());
  double worst = 0.0;
  for (size_t i = 0; i < la->data.size(); ++i) worst = std::max(worst, std::fabs(double(la->data[i]) - lb->data[i]));
  EXPECT_LT(worst, 1e-3);
  for (int step = 0; step < 4; ++step) {
    auto da = a->session->decode(40 + step);
    auto db = b->session->decode(40 + step);
    ASSERT_TRUE(da.ok() && db.ok());
    for (size_t i = 0; i < da->data.size(); ++i) ASSERT_NEAR(da->data[i], db->data[i], 1e-3) << step;
  }
}

/// A copy of `source` with the first occurrence of `from` replaced by `to` (same length: offsets unchanged).
std::string patched_copy(const std::string& source, const std::string& from, const std::string& to,
                         const std::string& name) {
  std::ifstream in(source, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t at = bytes.find(from);
  EXPECT_NE(at, std::string::npos);
  EXPECT_EQ(from.size(), to.size());
  bytes.replace(at, from.size(), to);
  const fs::path dir = fs::temp_directory_path() / ("hfb_gguf_import_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string out = (dir / name).string();
  std::ofstream(out, std::ios::binary) << bytes;
  return out;
}

TEST(GgufImport, UnknownTensorNameIsRefusedByName) {
  const std::string path = patched_copy(kGguf + "sample-f32.gguf", "output_norm.weight", "output_nurm.weight",
                                        "unknown-tensor.gguf");
  auto imported = load_gguf_model(path);
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.error().code, ErrorCode::kInvalidFile);
  EXPECT_NE(imported.error().to_string().find("output_nurm.weight"), std::string::npos)
      << imported.error().to_string();
}

TEST(GgufImport, RopeFreqsDisagreeingWithTheConfigIsRefused) {
  // gemma4.rope.dimension_count_swa is not the key; change key_length (the full layers' head_dim) instead: the
  // ones-then-1e30 table then has the wrong length for it.
  auto file = read_gguf(kGguf + "sample-f32.gguf");
  ASSERT_TRUE(file.ok());
  const GgufTensorInfo* rope = file->find_tensor("rope_freqs.weight");
  ASSERT_NE(rope, nullptr);
  auto bytes = file->tensor_data(*rope);
  ASSERT_TRUE(bytes.ok());
  float first = 0.0f;
  std::memcpy(&first, bytes->data, 4);
  ASSERT_EQ(first, 1.0f);
  // Turn the last 1.0 into 1e30 (a smaller partial_rotary_factor would follow) and a 1e30 into 1.0 after it: the
  // count of ones stays, the pattern does not.
  std::ifstream in(kGguf + "sample-f32.gguf", std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const float big = 1e30f;
  const float one = 1.0f;
  std::memcpy(&data[rope->offset], &big, 4);
  std::memcpy(&data[rope->offset + 4 * (rope->ne[0] - 1)], &one, 4);
  const fs::path dir = fs::temp_directory_path() / ("hfb_gguf_import_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "rope.gguf").string();
  std::ofstream(path, std::ios::binary) << data;
  auto imported = load_gguf_model(path);
  ASSERT_FALSE(imported.ok());
  EXPECT_NE(imported.error().to_string().find("rope_freqs.weight"), std::string::npos)
      << imported.error().to_string();
}

TEST(GgufImport, TokenizerFromAnExportedGgufEncodesLikeTheCheckpoints) {
  for (const char* set : {"sample", "mm"}) {
    const fs::path dir = fs::temp_directory_path() / ("hfb_gguf_tok_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    GgufExportOptions o;
    o.source = kFixtures + set;
    o.out = (dir / (std::string(set) + ".gguf")).string();
    o.policy.quant = "f32";
    o.force = true;
    auto exported = convert_checkpoint_to_gguf(o);
    ASSERT_TRUE(exported.ok()) << exported.error().to_string();
    auto ours = tokenizer::load_text_tokenizer(o.out);
    ASSERT_TRUE(ours.ok()) << ours.error().to_string();
    auto reference = tokenizer::load_text_tokenizer(kFixtures + set);
    ASSERT_TRUE(reference.ok());
    EXPECT_EQ(ours->bos_id, reference->bos_id) << set;
    EXPECT_EQ(ours->eos_id, reference->eos_id) << set;
    EXPECT_EQ(ours->add_bos, reference->add_bos) << set;
    EXPECT_EQ(ours->chat_format, reference->chat_format) << set;
    for (const char* text : {"hello world", "  two  spaces\nand a newline", "caf\xC3\xA9 \xF0\x9F\x98\x80 <bos>x",
                             "<|image|> numbers 12345", ""}) {
      auto a = ours->tokenizer.encode(text, true);
      auto b = reference->tokenizer.encode(text, true);
      ASSERT_TRUE(a.ok() && b.ok()) << set << ": " << text;
      EXPECT_EQ(*a, *b) << set << ": " << text;
      auto decoded = ours->tokenizer.decode(*a);
      auto expected = reference->tokenizer.decode(*b);
      ASSERT_TRUE(decoded.ok() && expected.ok());
      EXPECT_EQ(*decoded, *expected) << set << ": " << text;
    }
  }
}

/// Every tensor of `want` is in `got` with the same type, dims and bytes, and nothing else is.
void expect_same_gguf_tensors(const std::string& got_path, const std::string& want_path) {
  auto got = read_gguf(got_path);
  auto want = read_gguf(want_path);
  ASSERT_TRUE(got.ok() && want.ok());
  EXPECT_EQ(got->tensors.size(), want->tensors.size()) << got_path;
  for (const GgufTensorInfo& w : want->tensors) {
    const GgufTensorInfo* g = got->find_tensor(w.name);
    ASSERT_NE(g, nullptr) << w.name;
    EXPECT_EQ(g->type, w.type) << w.name;
    EXPECT_EQ(g->ne, w.ne) << w.name;
    auto a = got->tensor_data(*g);
    auto b = want->tensor_data(w);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size, b->size) << w.name;
    EXPECT_EQ(std::memcmp(a->data, b->data, a->size), 0) << w.name;
  }
}

TEST(GgufImport, MmReexportedWithConfigIsByteIdenticalToLlamaCppsFiles) {
  const fs::path dir = fs::temp_directory_path() / ("hfb_gguf_mm_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  GgufExportOptions o;
  o.source = kGguf + "mm-f32.gguf";
  o.model_source = mm_source(true);
  o.out = (dir / "mm.gguf").string();
  o.mmproj_out = (dir / "mm-mmproj.gguf").string();
  o.policy.quant = "f32";
  o.force = true;
  auto exported = convert_checkpoint_to_gguf(o);
  ASSERT_TRUE(exported.ok()) << exported.error().to_string();
  // Through the import and back: the softplus of the inverse softplus, the patch permutation and the conv-norm swap
  // land on llama.cpp's bytes again.
  expect_same_gguf_tensors(o.out, kGguf + "mm-f32.gguf");
  expect_same_gguf_tensors(o.mmproj_out, kGguf + "mm-mmproj-f32.gguf");
}

/// Every fixture layout through our own f32 export and back (k_eq_v, kv sharing, release layout, MoE, vision
/// bidirectional attention, clip scopes, trained weights): the import verifies against the set's goldens.
class GgufRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(GgufRoundTrip, ExportedThenImportedVerifiesAgainstTheGoldens) {
  const std::string set = GetParam();
  const fs::path dir = fs::temp_directory_path() / ("hfb_gguf_rt_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto config = read_model_config(kFixtures + set + "/config.json");
  ASSERT_TRUE(config.ok());
  GgufExportOptions o;
  o.source = kFixtures + set;
  o.out = (dir / (set + ".gguf")).string();
  if (config->vision || config->audio) o.mmproj_out = (dir / (set + "-mmproj.gguf")).string();
  o.policy.quant = "f32";
  o.force = true;
  auto exported = convert_checkpoint_to_gguf(o);
  ASSERT_TRUE(exported.ok()) << exported.error().to_string();
  ModelSourceOptions source;
  source.mmproj_path = o.mmproj_out;
  source.config_path = kFixtures + set + "/config.json";
  auto report = verify_model(o.out, kFixtures + set, VerifyOptions{}, source);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_TRUE(report->pass) << set;
  EXPECT_EQ(report->tokens_matched, report->tokens_total) << set;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GgufRoundTrip,
                         ::testing::Values("sample-release", "sample-sharded", "text-kveqv", "text-trained", "vl-bidir",
                                           "grid-int8-mm", "grid-q4_0", "mm-clipscope", "moe"));

TEST(GgufImport, ReferenceVocabularyWithoutItsMergeResultOpensWithoutATokenizer) {
  auto imported = load_gguf_model(kGguf + "sample-f32.gguf");
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  bool said = false;
  for (const Diagnostic& d : imported->diagnostics) said |= d.message.find("no tokenizer") != std::string::npos;
  EXPECT_TRUE(said);
  auto tokenizer = tokenizer::load_text_tokenizer(kGguf + "sample-f32.gguf");
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_NE(tokenizer.error().to_string().find("\xE2\x96\x81\xE2\x96\x81"), std::string::npos)
      << tokenizer.error().to_string();
}

}  // namespace
}  // namespace hfb
