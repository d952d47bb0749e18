// GGUF export against llama.cpp's own files (fixtures/gemma4/gguf, written by its converter and llama-quantize):
// the f32 export of `sample` has their keys, types, tensor names, shapes, types and bytes; the q4_0/q8_0 exports
// hold llama-quantize's blocks byte for byte; the mmproj of `mm` matches the converter's; refusals, determinism,
// the tokenizer and the KV-sharing warning.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "pipeline/gguf_export.h"
#include "readers/gguf.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using testing::ScratchDir;

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";
const std::string kReference = kFixtures + "gguf/";

// Keys llama.cpp's converter writes that the export does not (size_label: a display string of the parameter
// count) and keys the export adds (provenance, the chat template of the checkpoint's tokenizer). docs/gguf.md.
const std::set<std::string> kOnlyInReference = {"general.size_label"};
const std::set<std::string> kOnlyInExport = {"general.quantized_by", "general.quantization_recipe",
                                             "tokenizer.chat_template", "general.source.huggingface.repository",
                                             "general.source.revision"};

GgufExportOptions options_for(const std::string& fixture, const std::string& out, const std::string& quant) {
  GgufExportOptions o;
  o.source = kFixtures + fixture;
  o.out = out;
  o.policy.quant = quant;
  return o;
}

GgufFile read(const std::string& path) {
  auto file = read_gguf(path);
  EXPECT_TRUE(file.ok()) << path << ": " << (file.ok() ? "" : file.error().to_string());
  return std::move(file).value();
}

std::vector<uint8_t> bytes_of(const GgufFile& file, const GgufTensorInfo& t) {
  auto span = file.tensor_data(t);
  EXPECT_TRUE(span.ok());
  return span.ok() ? std::vector<uint8_t>(span->data, span->data + span->size) : std::vector<uint8_t>{};
}

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

/// Same keys with the same types (documented differences aside); the model keys (gemma4.* / clip.*) with the same
/// bytes as well.
void expect_same_keys(const GgufFile& ours, const GgufFile& ref) {
  for (const auto& [key, value] : ref.metadata) {
    if (kOnlyInReference.count(key)) continue;
    const gguf::Value* mine = ours.find(key);
    ASSERT_NE(mine, nullptr) << "missing key " << key;
    EXPECT_EQ(mine->type_name(), value.type_name()) << key;
    if (key.rfind("gemma4.", 0) == 0 || key.rfind("clip.", 0) == 0 || key == "general.architecture") {
      EXPECT_EQ(mine->bytes, value.bytes) << key;
      EXPECT_EQ(mine->strings, value.strings) << key;
    }
  }
  for (const auto& [key, value] : ours.metadata) {
    EXPECT_TRUE(ref.find(key) != nullptr || kOnlyInExport.count(key)) << "unexpected key " << key;
  }
}

/// Same tensor names, dims, types and bytes.
void expect_same_tensors(const GgufFile& ours, const GgufFile& ref) {
  EXPECT_EQ(ours.tensors.size(), ref.tensors.size());
  for (const GgufTensorInfo& r : ref.tensors) {
    const GgufTensorInfo* m = ours.find_tensor(r.name);
    ASSERT_NE(m, nullptr) << "missing tensor " << r.name;
    EXPECT_EQ(m->ne, r.ne) << r.name;
    EXPECT_EQ(m->type, r.type) << r.name;
    EXPECT_EQ(bytes_of(ours, *m), bytes_of(ref, r)) << r.name;
  }
}

TEST(GgufExport, SampleF32MatchesLlamaCppConverter) {
  ScratchDir dir;
  auto result = convert_checkpoint_to_gguf(options_for("sample", dir / "sample.gguf", "f32"));
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  const GgufFile ours = read(dir / "sample.gguf");
  const GgufFile ref = read(kReference + "sample-f32.gguf");
  expect_same_keys(ours, ref);
  expect_same_tensors(ours, ref);
  EXPECT_EQ(ours.find("tokenizer.ggml.tokens")->count(), 512u);  // the embedding's rows
  EXPECT_TRUE(result->warnings.empty());
  EXPECT_FALSE(result->tokenizer_synthesised);
}

TEST(GgufExport, MoeF32MatchesLlamaCppConverter) {
  ScratchDir dir;
  auto result = convert_checkpoint_to_gguf(options_for("moe", dir / "moe.gguf", "f32"));
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  const GgufFile ours = read(dir / "moe.gguf");
  const GgufFile ref = read(kReference + "moe-f32.gguf");
  expect_same_keys(ours, ref);
  expect_same_tensors(ours, ref);
  EXPECT_TRUE(result->tokenizer_synthesised);  // the moe set has no tokenizer.json
}

TEST(GgufExport, MmTextAndMmprojMatchLlamaCppConverter) {
  ScratchDir dir;
  GgufExportOptions o = options_for("mm", dir / "mm.gguf", "f32");
  o.mmproj_out = dir / "mm-mmproj.gguf";
  auto result = convert_checkpoint_to_gguf(o);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  expect_same_keys(read(dir / "mm.gguf"), read(kReference + "mm-f32.gguf"));
  expect_same_tensors(read(dir / "mm.gguf"), read(kReference + "mm-f32.gguf"));
  const GgufFile ours = read(dir / "mm-mmproj.gguf");
  const GgufFile ref = read(kReference + "mm-mmproj-f32.gguf");
  expect_same_keys(ours, ref);
  expect_same_tensors(ours, ref);
}

/// Every tensor llama-quantize (pure) stores as `quantized` is `quantized` in ours with the same bytes, except
/// the token tables (q8_0 by the GGUF default policy); its F16 fallbacks are F16 fallbacks in ours.
void expect_llama_quantize_blocks(const std::string& quant, const std::string& reference, gguf::GgmlType quantized) {
  ScratchDir dir;
  auto result = convert_checkpoint_to_gguf(options_for("sample", dir / "q.gguf", quant));
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  const GgufFile ours = read(dir / "q.gguf");
  const GgufFile ref = read(kReference + reference);
  size_t compared = 0;
  for (const GgufTensorInfo& r : ref.tensors) {
    const GgufTensorInfo* m = ours.find_tensor(r.name);
    ASSERT_NE(m, nullptr) << r.name;
    if (r.name == "token_embd.weight" || r.name == "per_layer_token_embd.weight") {
      EXPECT_EQ(m->type, gguf::GgmlType::kQ8_0) << r.name;
      continue;
    }
    EXPECT_EQ(m->type, r.type) << r.name;
    if (r.type == quantized || r.type == gguf::GgmlType::kF16) {
      EXPECT_EQ(bytes_of(ours, *m), bytes_of(ref, r)) << r.name;
      ++compared;
    }
  }
  EXPECT_GE(compared, 30u);
  EXPECT_EQ(ours.find("general.file_type")->int_at(0), ref.find("general.file_type")->int_at(0));
}

TEST(GgufExport, Q4_0BlocksEqualLlamaQuantize) {
  expect_llama_quantize_blocks("q4_0", "sample-q4_0-pure.gguf", gguf::GgmlType::kQ4_0);
}

TEST(GgufExport, Q8_0BlocksEqualLlamaQuantize) {
  expect_llama_quantize_blocks("q8_0", "sample-q8_0-pure.gguf", gguf::GgmlType::kQ8_0);
}

TEST(GgufExport, RowsNotMultipleOf32FallBackToF16InTheCoverage) {
  ScratchDir dir;
  auto result = convert_checkpoint_to_gguf(options_for("sample", dir / "q.gguf", "q4_0"));
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  size_t fallbacks = 0;
  for (const GgufCoverageEntry& e : result->coverage) {
    if (!e.fallback) continue;
    ++fallbacks;
    EXPECT_EQ(e.type, "F16") << e.gguf_name;
    EXPECT_NE(e.reason.find("not a multiple of 32"), std::string::npos) << e.reason;
  }
  EXPECT_EQ(fallbacks, 4u);  // blk.*.proj.weight: rows of 16
}

TEST(GgufExport, EveryTensorHasAFate) {
  ScratchDir dir;
  auto result = convert_checkpoint_to_gguf(options_for("mm", dir / "mm.gguf", "f32"));  // no --mmproj-out
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  size_t dropped = 0;
  for (const GgufCoverageEntry& e : result->coverage) {
    EXPECT_FALSE(e.reason.empty()) << e.source_name;
    dropped += e.file == "dropped";
  }
  EXPECT_GT(dropped, 200u);  // the towers
  bool warned = false;
  for (const std::string& w : result->warnings) warned = warned || w.find("--mmproj-out") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(GgufExport, SchemesWithoutGgmlTypeAreRefusedByName) {
  ScratchDir dir;
  auto global = convert_checkpoint_to_gguf(options_for("sample", dir / "a.gguf", "int8"));
  ASSERT_FALSE(global.ok());
  EXPECT_EQ(global.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(global.error().message.find("nearest: q8_0"), std::string::npos) << global.error().message;
  GgufExportOptions o = options_for("sample", dir / "b.gguf", "q4_0");
  o.policy.tensor_types.emplace_back(".*self_attn\\.q_proj.*", Scheme::kKmeans4);
  auto tensor = convert_checkpoint_to_gguf(o);
  ASSERT_FALSE(tensor.ok());
  const std::string& m = tensor.error().message;
  EXPECT_NE(m.find("model.layers.0.self_attn.q_proj.weight"), std::string::npos) << m;
  EXPECT_NE(m.find("nearest: q4_0"), std::string::npos) << m;
  EXPECT_NE(m.find("4 tensor(s)"), std::string::npos) << m;
  EXPECT_TRUE(testing::list_dir(dir.path()).empty());  // nothing written, no temporary left
}

TEST(GgufExport, DeterministicAcrossThreadCounts) {
  ScratchDir dir;
  GgufExportOptions a = options_for("sample", dir / "a.gguf", "q4_0");
  a.num_threads = 1;
  GgufExportOptions b = options_for("sample", dir / "b.gguf", "q4_0");
  b.num_threads = 4;
  ASSERT_TRUE(convert_checkpoint_to_gguf(a).ok());
  ASSERT_TRUE(convert_checkpoint_to_gguf(b).ok());
  EXPECT_EQ(file_bytes(dir / "a.gguf"), file_bytes(dir / "b.gguf"));
}

TEST(GgufExport, ExistingOutputNeedsForce) {
  ScratchDir dir;
  ASSERT_TRUE(convert_checkpoint_to_gguf(options_for("sample", dir / "a.gguf", "f32")).ok());
  auto again = convert_checkpoint_to_gguf(options_for("sample", dir / "a.gguf", "f32"));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("--force"), std::string::npos);
}

TEST(GgufExport, KvSharingLayoutLlamaCppCannotRunIsAWarning) {
  ScratchDir dir;
  auto result = convert_checkpoint_to_gguf(options_for("text-kveqv", dir / "k.gguf", "f32"));
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  bool warned = false;
  for (const std::string& w : result->warnings) warned = warned || w.find("cannot run") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(GgufExport, TokensAreUniqueAndMergesPresent) {
  ScratchDir dir;
  ASSERT_TRUE(convert_checkpoint_to_gguf(options_for("mm", dir / "mm.gguf", "f32")).ok());
  const GgufFile ours = read(dir / "mm.gguf");
  const gguf::Value* tokens = ours.find("tokenizer.ggml.tokens");
  ASSERT_NE(tokens, nullptr);
  std::set<std::string> unique(tokens->strings.begin(), tokens->strings.end());
  EXPECT_EQ(unique.size(), tokens->strings.size());
  EXPECT_EQ(tokens->count(), 896u);
  ASSERT_NE(ours.find("tokenizer.ggml.merges"), nullptr);
  EXPECT_GT(ours.find("tokenizer.ggml.merges")->count(), 0u);
  EXPECT_EQ(*ours.find("tokenizer.ggml.model")->string_at(0), "gemma4");
}

}  // namespace
}  // namespace hfb
