// Quantization policy: precedence (tensor-type > role-type > defaults > --quant), defaults with reasons,
// the fallback rule, --min-elements, unused tensors, parsing; coverage totals on a synthetic table.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>

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

TensorDecision decide(const QuantPolicy& policy, const TensorInfo& info) {
  auto d = policy.decide(info);
  EXPECT_TRUE(d.ok()) << d.error().to_string();
  return d.ok() ? *d : TensorDecision{};
}

const TensorInfo kMlp = tensor("model.layers.0.mlp.up_proj.weight", {256, 64}, Role::kMlpUp);

TEST(QuantPolicy, GlobalSchemeForAnOrdinaryLinear) {
  QuantPolicyOptions options;
  options.global = Scheme::kQ4_0;
  TensorDecision d = decide(make(options), kMlp);
  EXPECT_EQ(d.scheme, Scheme::kQ4_0);
  EXPECT_EQ(d.reason, "--quant q4_0");
  EXPECT_FALSE(d.fallback);
}

TEST(QuantPolicy, ExpertBanksAreStackedMatricesAndTheRouterStaysFloat) {
  const TensorInfo bank = tensor("model.layers.0.experts.gate_up_proj", {8, 48, 64}, Role::kMoeGateUp);
  EXPECT_EQ(matrix_view(bank.shape), (std::pair<int64_t, int64_t>{8 * 48, 64}));
  QuantPolicyOptions options;
  options.global = Scheme::kKmeans4;
  options.params.group_size = 32;  // does not divide the 48 rows of an expert
  TensorDecision d = decide(make(options), bank);
  EXPECT_EQ(d.scheme, Scheme::kKmeans4);
  EXPECT_EQ(d.params.group_size, 16);
  options.params.per_tensor = true;  // one LUT per expert, never one across experts
  d = decide(make(options), bank);
  EXPECT_FALSE(d.params.per_tensor);
  EXPECT_EQ(d.params.group_size, 48);
  options.global = Scheme::kInt8;
  d = decide(make(options), bank);
  EXPECT_FALSE(d.params.per_tensor);  // one scale per expert row
  const TensorInfo router = tensor("model.layers.0.router.proj.weight", {128, 2816}, Role::kMoeRouter);
  EXPECT_EQ(decide(make(options), router).scheme, Scheme::kNone);
  options.role_types = {{Role::kMoeRouter, Scheme::kInt8}};  // unless asked
  EXPECT_EQ(decide(make(options), router).scheme, Scheme::kInt8);
}

TEST(QuantPolicy, TensorTypeBeatsRoleTypeBeatsGlobal) {
  QuantPolicyOptions options;
  options.global = Scheme::kQ4_0;
  options.role_types = {{Role::kMlpUp, Scheme::kInt4}};
  EXPECT_EQ(decide(make(options), kMlp).scheme, Scheme::kInt4);
  options.tensor_types = {{".*up_proj.*", Scheme::kKmeans8}};
  TensorDecision d = decide(make(options), kMlp);
  EXPECT_EQ(d.scheme, Scheme::kKmeans8);
  EXPECT_NE(d.reason.find("--tensor-type"), std::string::npos);
  options.tensor_types = {{"up_proj", Scheme::kKmeans8}};  // anchored: a substring does not match
  EXPECT_EQ(decide(make(options), kMlp).scheme, Scheme::kInt4);
}

TEST(QuantPolicy, SafeDefaultsKeepFloatWithReasons) {
  QuantPolicyOptions options;
  options.global = Scheme::kInt4;
  options.min_elements = 0;
  QuantPolicy policy = make(options);
  struct Case { TensorInfo info; const char* needle; };
  const Case cases[] = {
      {tensor("n", {4096}, Role::kNorm), "norm"},
      {tensor("q", {4096}, Role::kAttnQNorm), "norm"},
      {tensor("s", {1}, Role::kLayerScalar), "layer scalar"},
      {tensor("c", {1}, Role::kClipBound, Tower::kVision), "clip bound"},
      {tensor("k", {128, 1, 3, 3}, Role::kAudioSubsampleConv, Tower::kAudio), "subsample conv"},
      {tensor("p", {4096}, Role::kAudioPerDimScale, Tower::kAudio), "per-dim scale"},
      {tensor("b", {4096}, Role::kAudioOutputBias, Tower::kAudio), "bias"},
  };
  for (const Case& c : cases) {
    TensorDecision d = decide(policy, c.info);
    EXPECT_EQ(d.scheme, Scheme::kNone) << c.info.name;
    EXPECT_NE(d.reason.find(c.needle), std::string::npos) << d.reason;
  }
  // A role override beats the default.
  options.role_types = {{Role::kNorm, Scheme::kInt8}};
  EXPECT_EQ(decide(make(options), tensor("n", {4096}, Role::kNorm)).scheme, Scheme::kInt8);
}

TEST(QuantPolicy, KeptFloatTensorsHonourAllowNonfinite) {
  QuantPolicyOptions options;
  options.global = Scheme::kQ4_0;
  for (bool allow : {false, true}) {
    options.params.allow_nonfinite = allow;
    const QuantPolicy policy = make(options);
    for (const TensorInfo& info : {tensor("n", {4096}, Role::kNorm), tensor("v", {64}, Role::kMlpUp)}) {
      const TensorDecision d = decide(policy, info);
      EXPECT_EQ(d.scheme, Scheme::kNone) << info.name;
      EXPECT_EQ(d.params.allow_nonfinite, allow) << info.name << ": " << d.reason;
    }
  }
}

TEST(QuantPolicy, TablesAndTowersDefaultToInt8PerRow) {
  QuantPolicyOptions options;
  options.global = Scheme::kInt4;
  options.params.block_size = 32;
  QuantPolicy policy = make(options);
  for (Role role : {Role::kTokenEmbedding, Role::kLmHead, Role::kPleTable}) {
    TensorDecision d = decide(policy, tensor("t", {512, 64}, role));
    EXPECT_EQ(d.scheme, Scheme::kInt8);
    EXPECT_EQ(d.params.block_size, 0);
    EXPECT_NE(d.reason.find("4-bit tables break generation"), std::string::npos);
  }
  TensorDecision tower = decide(policy, tensor("a", {128, 64}, Role::kAttnQ, Tower::kAudio));
  EXPECT_EQ(tower.scheme, Scheme::kInt8);
  EXPECT_NE(tower.reason.find("audio tower"), std::string::npos);
  EXPECT_EQ(decide(policy, tensor("e", {128, 64}, Role::kEmbedderProjection)).scheme, Scheme::kInt8);
  options.role_types = {{Role::kPleTable, Scheme::kInt4}};
  EXPECT_EQ(decide(make(options), tensor("t", {512, 64}, Role::kPleTable)).scheme, Scheme::kInt4);
}

TEST(QuantPolicy, MinElementsAndUnusedStayFloat) {
  QuantPolicyOptions options;
  options.global = Scheme::kInt8;
  TensorDecision small = decide(make(options), tensor("w", {32, 63}, Role::kAttnO));
  EXPECT_EQ(small.scheme, Scheme::kNone);
  EXPECT_EQ(small.reason, "2016 elements < --min-elements 2048");
  EXPECT_EQ(decide(make(options), tensor("w", {32, 64}, Role::kAttnO)).scheme, Scheme::kInt8);
  options.min_elements = 0;
  EXPECT_EQ(decide(make(options), tensor("w", {2, 2}, Role::kAttnO)).scheme, Scheme::kInt8);
  TensorInfo unused = kMlp;
  unused.used = false;
  unused.unused_reason = "kv-shared";
  TensorDecision d = decide(make(options), unused);
  EXPECT_EQ(d.scheme, Scheme::kNone);
  EXPECT_NE(d.reason.find("unused"), std::string::npos);
  options.min_elements = -1;
  EXPECT_FALSE(QuantPolicy::create(options).ok());
}

TEST(QuantPolicy, FallbackRuleIsExplicit) {
  QuantPolicyOptions options;
  options.global = Scheme::kQ4_0;
  options.min_elements = 0;
  TensorDecision d = decide(make(options), tensor("ple", {64, 16}, Role::kPleGate));  // 16-wide rows
  EXPECT_EQ(d.scheme, Scheme::kInt8);
  EXPECT_TRUE(d.fallback);
  EXPECT_EQ(d.params.block_size, 0);
  EXPECT_NE(d.reason.find("q4_0 cannot take [64, 16]"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("fallback to int8 per row"), std::string::npos) << d.reason;
  options.global = Scheme::kQ8_0;
  EXPECT_EQ(decide(make(options), tensor("w", {64, 48}, Role::kAttnQ)).scheme, Scheme::kInt8);
  EXPECT_EQ(decide(make(options), tensor("w", {64, 64}, Role::kAttnQ)).scheme, Scheme::kQ8_0);
}

TEST(QuantPolicy, ParsesOptions) {
  auto tt = parse_tensor_type("model\\..*=int4");
  ASSERT_TRUE(tt.ok());
  EXPECT_EQ(tt->first, "model\\..*");
  EXPECT_EQ(tt->second, Scheme::kInt4);
  EXPECT_FALSE(parse_tensor_type("noequals").ok());
  EXPECT_FALSE(parse_tensor_type("([=int4").ok());
  EXPECT_FALSE(parse_tensor_type("x=int3").ok());
  auto rt = parse_role_type("ple_table=int8");
  ASSERT_TRUE(rt.ok());
  EXPECT_EQ(rt->first, Role::kPleTable);
  EXPECT_FALSE(parse_role_type("no_such_role=int8").ok());
}

TEST(QuantCoverage, TotalsAddUpAndKeptTensorsKeepTheirBytes) {
  auto bytes = std::make_shared<std::vector<uint8_t>>();
  TensorTable table;
  auto add = [&](TensorInfo info) {
    const size_t n = static_cast<size_t>(info.shape.num_elements().value());
    info.offset = bytes->size();
    for (size_t i = 0; i < n; ++i) {
      float v = static_cast<float>(std::sin(static_cast<double>(i) * 0.37)) * 0.05f;
      uint8_t raw[4];
      std::memcpy(raw, &v, 4);
      bytes->insert(bytes->end(), raw, raw + 4);
    }
    table.add(std::move(info));
  };
  add(tensor("w", {64, 64}, Role::kMlpUp));
  add(tensor("n", {64}, Role::kNorm));
  add(tensor("e", {64, 64}, Role::kTokenEmbedding));
  auto source = std::make_shared<MemorySource>(*bytes);
  for (TensorInfo& info : table.tensors_mutable()) info.source = source;
  QuantPolicyOptions options;
  options.global = Scheme::kQ4_0;
  auto result = quantize_table(make(options), table);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  const CoverageReport& report = result->coverage;
  ASSERT_EQ(report.entries.size(), 3u);
  EXPECT_EQ(report.entries[0].scheme, Scheme::kQ4_0);
  EXPECT_EQ(report.entries[0].bytes_after, 64u * 2 * 18);
  EXPECT_EQ(report.entries[1].scheme, Scheme::kNone);
  EXPECT_EQ(report.entries[1].bytes_after, 256u);
  EXPECT_EQ(report.entries[2].scheme, Scheme::kInt8);
  EXPECT_EQ(report.entries[2].bytes_after, 64u * 64 + 64 * 2);
  EXPECT_EQ(report.total.tensors, 3);
  EXPECT_EQ(report.total.quantized, 2);
  EXPECT_EQ(report.total.bytes_before, 2u * 64 * 64 * 4 + 256);
  EXPECT_EQ(report.total.bytes_after, 64u * 2 * 18 + 256 + 64 * 64 + 128);
  EXPECT_EQ(result->encoded.size(), 2u);
  EXPECT_GT(report.total.snr_db(), 20.0);
  EXPECT_LT(report.total.snr_db(), 80.0);
  EXPECT_NE(coverage_table(report).find("total"), std::string::npos);
}

}  // namespace
}  // namespace hfb
