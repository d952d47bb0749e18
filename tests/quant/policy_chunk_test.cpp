// Per-chunk policy: --chunk-type applies to its chunk only, precedence tensor regex > role > chunk > global,
// the keep-float defaults still hold inside a chunk, the rule shown in decisions and the coverage, parsing.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "core/byte_source.h"
#include "quant/coverage.h"
#include "quant/policy.h"
#include "tests/quant/quant_test_util.h"

namespace hfb {
namespace {

TensorInfo tensor(std::string name, Shape shape, Role role, Tower tower = Tower::kText) {
  return test::policy_tensor(std::move(name), std::move(shape), role, tower);
}

QuantPolicy make(QuantPolicyOptions options) { return test::make_policy(std::move(options)); }

TensorDecision decide(const QuantPolicy& policy, const TensorInfo& info, std::string_view chunk) {
  auto d = policy.decide(info, chunk);
  EXPECT_TRUE(d.ok()) << d.error().to_string();
  return d.ok() ? *d : TensorDecision{};
}

const TensorInfo kMlp = tensor("model.layers.3.mlp.up_proj.weight", {256, 64}, Role::kMlpUp);
const TensorInfo kQ = tensor("model.layers.3.self_attn.q_proj.weight", {256, 64}, Role::kAttnQ);

QuantPolicyOptions q4_with_chunk() {
  QuantPolicyOptions options;
  options.global = Scheme::kQ4_0;
  options.chunk_types = {{"decoder.1", Scheme::kInt8}};
  return options;
}

TEST(QuantPolicyChunk, AppliesToItsChunkOnly) {
  const QuantPolicy policy = make(q4_with_chunk());
  TensorDecision in = decide(policy, kMlp, "decoder.1");
  EXPECT_EQ(in.scheme, Scheme::kInt8);
  EXPECT_EQ(in.rule, PolicyRule::kChunkType);
  EXPECT_EQ(in.reason, "--chunk-type decoder.1=int8");
  TensorDecision other = decide(policy, kMlp, "decoder.0");
  EXPECT_EQ(other.scheme, Scheme::kQ4_0);
  EXPECT_EQ(other.rule, PolicyRule::kGlobal);
  TensorDecision unknown = decide(policy, kMlp, "");  // shared / no chunk given: no chunk rule
  EXPECT_EQ(unknown.scheme, Scheme::kQ4_0);
  EXPECT_EQ(policy.decide(kMlp)->scheme, Scheme::kQ4_0);
}

TEST(QuantPolicyChunk, PrecedenceRegexThenRoleThenChunkThenGlobal) {
  QuantPolicyOptions options = q4_with_chunk();
  options.role_types = {{Role::kAttnQ, Scheme::kKmeans4}};
  options.tensor_types = {{".*layers\\.3\\.mlp\\.up_proj.*", Scheme::kQ8_0}};
  const QuantPolicy policy = make(options);
  TensorDecision by_regex = decide(policy, kMlp, "decoder.1");
  EXPECT_EQ(by_regex.scheme, Scheme::kQ8_0);
  EXPECT_EQ(by_regex.rule, PolicyRule::kTensorType);
  TensorDecision by_role = decide(policy, kQ, "decoder.1");
  EXPECT_EQ(by_role.scheme, Scheme::kKmeans4);
  EXPECT_EQ(by_role.rule, PolicyRule::kRoleType);
  const TensorInfo down = tensor("model.layers.3.mlp.down_proj.weight", {64, 256}, Role::kMlpDown);
  EXPECT_EQ(decide(policy, down, "decoder.1").rule, PolicyRule::kChunkType);
  EXPECT_EQ(decide(policy, down, "decoder.0").rule, PolicyRule::kGlobal);
}

TEST(QuantPolicyChunk, KeepFloatDefaultsHoldInsideTheChunkButTableAndTowerDefaultsYield) {
  QuantPolicyOptions options;
  options.global = Scheme::kInt8;
  options.chunk_types = {{"embeddings", Scheme::kQ4_0}, {"vision", Scheme::kInt4}, {"decoder.0", Scheme::kInt4}};
  const QuantPolicy policy = make(options);
  const TensorInfo norm = tensor("model.layers.0.input_layernorm.weight", {64}, Role::kNorm);
  TensorDecision n = decide(policy, norm, "decoder.0");
  EXPECT_EQ(n.scheme, Scheme::kNone);
  EXPECT_EQ(n.rule, PolicyRule::kDefault);
  const TensorInfo table = tensor("model.embed_tokens.weight", {512, 64}, Role::kTokenEmbedding);
  EXPECT_EQ(decide(policy, table, "").scheme, Scheme::kInt8);  // built-in: tables int8 per row
  TensorDecision t = decide(policy, table, "embeddings");
  EXPECT_EQ(t.scheme, Scheme::kQ4_0);
  EXPECT_EQ(t.rule, PolicyRule::kChunkType);
  const TensorInfo tower = tensor("model.vision_tower.layers.0.mlp.up_proj.weight", {256, 64}, Role::kMlpUp, Tower::kVision);
  EXPECT_EQ(decide(policy, tower, "").rule, PolicyRule::kDefault);
  EXPECT_EQ(decide(policy, tower, "vision").scheme, Scheme::kInt4);
  const TensorInfo small = tensor("model.layers.0.tiny.weight", {8, 8}, Role::kMlpUp);
  EXPECT_EQ(decide(policy, small, "decoder.0").scheme, Scheme::kNone);  // under --min-elements
}

TEST(QuantPolicyChunk, NoneKeepsTheChunkFloatAndTheFirstEntryWins) {
  QuantPolicyOptions options;
  options.global = Scheme::kQ4_0;
  options.chunk_types = {{"decoder.2", Scheme::kNone}, {"decoder.2", Scheme::kInt8}};
  TensorDecision d = decide(make(options), kMlp, "decoder.2");
  EXPECT_EQ(d.scheme, Scheme::kNone);
  EXPECT_EQ(d.rule, PolicyRule::kChunkType);
  EXPECT_EQ(d.reason, "--chunk-type decoder.2=none");
}

TEST(QuantPolicyChunk, FallbackKeepsTheRule) {
  QuantPolicyOptions options;
  options.chunk_types = {{"head", Scheme::kQ4_0}};
  const TensorInfo odd = tensor("model.odd.weight", {128, 48}, Role::kMlpUp);  // 48 % 32 != 0
  TensorDecision d = decide(make(options), odd, "head");
  EXPECT_TRUE(d.fallback);
  EXPECT_EQ(d.scheme, Scheme::kInt8);
  EXPECT_EQ(d.rule, PolicyRule::kChunkType);
  EXPECT_NE(d.reason.find("--chunk-type head=q4_0"), std::string::npos) << d.reason;
}

TEST(QuantPolicyChunk, ParseAndCheckAgainstThePlan) {
  auto ok = parse_chunk_type("decoder.2=int8");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->first, "decoder.2");
  EXPECT_EQ(ok->second, Scheme::kInt8);
  EXPECT_EQ(parse_chunk_type("decoder.2").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(parse_chunk_type("=int8").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(parse_chunk_type("decoder.2=int3").error().code, ErrorCode::kInvalidArgument);
  QuantPolicyOptions options;
  options.chunk_types = {{"decoder.9", Scheme::kInt8}};
  Status s = check_chunk_types(options, {"embeddings", "decoder.0", "head"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("no chunk 'decoder.9'"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("embeddings, decoder.0, head"), std::string::npos) << s.error().message;
  options.chunk_types = {{"head", Scheme::kInt8}};
  EXPECT_TRUE(check_chunk_types(options, {"embeddings", "decoder.0", "head"}).ok());
}

// CHUNK:ROLE entries: the role's tensors in that chunk only, beating a CHUNK entry wherever it is listed, below
// tensor regexes and roles, and like chunk entries after the keep-float defaults.
TEST(QuantPolicyChunk, ChunkRoleEntryBeatsTheChunkEntry) {
  QuantPolicyOptions options = q4_with_chunk();  // decoder.1=int8
  options.chunk_types.emplace_back("decoder.1:mlp_up", Scheme::kQ8_0);
  options.chunk_types.emplace_back("decoder.2:mlp_up", Scheme::kNone);
  options.chunk_types.emplace_back("decoder.1:norm", Scheme::kInt8);
  const QuantPolicy policy = make(options);
  TensorDecision up = decide(policy, kMlp, "decoder.1");
  EXPECT_EQ(up.scheme, Scheme::kQ8_0);
  EXPECT_EQ(up.rule, PolicyRule::kChunkType);
  EXPECT_EQ(up.reason, "--chunk-type decoder.1:mlp_up=q8_0");
  EXPECT_EQ(decide(policy, kQ, "decoder.1").scheme, Scheme::kInt8);  // another role: the chunk entry
  EXPECT_EQ(decide(policy, kMlp, "decoder.2").scheme, Scheme::kNone);
  EXPECT_EQ(decide(policy, kQ, "decoder.2").scheme, Scheme::kQ4_0);  // global
  EXPECT_EQ(decide(policy, kMlp, "").scheme, Scheme::kQ4_0);         // no chunk: no chunk rule
  const TensorInfo norm = tensor("model.layers.3.input_layernorm.weight", {64}, Role::kNorm);
  EXPECT_EQ(decide(policy, norm, "decoder.1").scheme, Scheme::kNone);  // keep-float default holds
  options.role_types = {{Role::kMlpUp, Scheme::kInt4}};
  EXPECT_EQ(decide(make(options), kMlp, "decoder.1").scheme, Scheme::kInt4);  // a role rule still wins
}

TEST(QuantPolicyChunk, ChunkRoleNamesAreChecked) {
  auto ok = parse_chunk_type("decoder.2:attn_q=int8");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->first, "decoder.2:attn_q");
  auto bad = parse_chunk_type("decoder.2:attn_qq=int8");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("unknown role 'attn_qq'"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_chunk_type(":attn_q=int8").ok());
  QuantPolicyOptions options;
  options.chunk_types = {{"decoder.0:attn_q", Scheme::kInt8}};
  EXPECT_TRUE(check_chunk_types(options, {"embeddings", "decoder.0"}).ok());
  options.chunk_types = {{"decoder.7:attn_q", Scheme::kInt8}};
  Status s = check_chunk_types(options, {"embeddings", "decoder.0"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("no chunk 'decoder.7'"), std::string::npos) << s.error().message;
}

TEST(QuantPolicyChunk, CoverageCarriesTheRule) {
  std::vector<uint8_t> bytes;
  TensorTable table;
  for (TensorInfo info : {kMlp, tensor("model.layers.0.mlp.up_proj.weight", {256, 64}, Role::kMlpUp),
                          tensor("model.layers.0.input_layernorm.weight", {64}, Role::kNorm)}) {
    info.offset = bytes.size();
    for (uint64_t i = 0; i < info.shape.num_elements().value(); ++i) {
      const float v = static_cast<float>(static_cast<int64_t>((i * 37) % 101) - 50) * 1e-3f;
      const auto* raw = reinterpret_cast<const uint8_t*>(&v);
      bytes.insert(bytes.end(), raw, raw + 4);
    }
    table.add(std::move(info));
  }
  auto source = std::make_shared<MemorySource>(bytes);
  for (TensorInfo& info : table.tensors_mutable()) info.source = source;
  const std::map<std::string, std::string> chunk_of{{kMlp.name, "decoder.1"},
                                                    {"model.layers.0.mlp.up_proj.weight", "decoder.0"}};
  auto quantized = quantize_table(make(q4_with_chunk()), table, chunk_of);
  ASSERT_TRUE(quantized.ok()) << quantized.error().to_string();
  const auto& e = quantized->coverage.entries;
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].rule, PolicyRule::kChunkType);
  EXPECT_EQ(e[0].scheme, Scheme::kInt8);
  EXPECT_EQ(e[1].rule, PolicyRule::kGlobal);
  EXPECT_EQ(e[2].rule, PolicyRule::kDefault);
  EXPECT_NE(coverage_table(quantized->coverage).find("[chunk-type] --chunk-type decoder.1=int8"), std::string::npos);
  EXPECT_EQ(policy_rule_name(PolicyRule::kRoleType), "role-type");
}

}  // namespace
}  // namespace hfb
