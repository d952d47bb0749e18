// Quantized convert: coverage in the manifest and the report, encoded bytes equal quantize() (also across
// several streamed row blocks), byte-identical reruns, --dry-run projections, CLI errors for a bad policy.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "formats/bundle.pb.h"
#include "models/load_checkpoint.h"
#include "pipeline/convert.h"
#include "pipeline/convert_stream.h"
#include "readers/bundle/bundle_reader.h"
#include "tests/writers/bundle_test_util.h"
#include "writers/bundle_sink.h"
#include "writers/bundle_writer.h"

#ifdef HFB_CLI_PATH
#include "tests/cli/run_cli_helper.h"
#endif

namespace hfb {
namespace {

using testing::ScratchDir;

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

ConvertOptions quant_options(const std::string& fixture, const std::string& out, Scheme scheme) {
  ConvertOptions o;
  o.source = kFixtures + fixture;
  o.out = out;
  o.quant.global = scheme;
  return o;
}

std::vector<uint8_t> segment_bytes(const BundleTensor& t, const std::string& part) {
  const BundleSegmentView* s = t.segment(part);
  if (s == nullptr) return {};
  auto span = s->source->read(s->offset, s->length);
  EXPECT_TRUE(span.ok());
  return span.ok() ? std::vector<uint8_t>(span->data, span->data + span->size) : std::vector<uint8_t>{};
}

std::vector<uint8_t> lut_bytes(const EncodedTensor& e) {
  std::vector<uint8_t> out(e.lut.size() * sizeof(float));
  if (!out.empty()) std::memcpy(out.data(), e.lut.data(), out.size());
  return out;
}

// The bundle's parts of `name` equal quantize() of the source tensor with the policy's decision.
void expect_parts_equal_quantize(const Bundle& bundle, const TensorInfo& source, const QuantPolicy& policy) {
  auto decision = policy.decide(source);
  ASSERT_TRUE(decision.ok());
  ASSERT_NE(decision->scheme, Scheme::kNone) << source.name;
  auto expected = quantize(decision->scheme, source, decision->params);
  ASSERT_TRUE(expected.ok()) << expected.error().to_string();
  const BundleTensor* t = bundle.find(source.name);
  ASSERT_NE(t, nullptr) << source.name;
  EXPECT_EQ(t->scheme, scheme_name(decision->scheme));
  EXPECT_EQ(segment_bytes(*t, "codes"), expected->codes) << source.name;
  EXPECT_EQ(segment_bytes(*t, "scales"), expected->scales) << source.name;
  EXPECT_EQ(segment_bytes(*t, "lut"), lut_bytes(*expected)) << source.name;
  EXPECT_EQ(t->group_size, static_cast<uint32_t>(expected->params.group_size)) << source.name;
  EXPECT_EQ(t->block_size, static_cast<uint32_t>(expected->params.block_size)) << source.name;
  EXPECT_EQ(t->per_tensor, expected->params.per_tensor) << source.name;
}

TEST(ConvertQuant, GridQ4_0CoverageListsEveryTensorWithSchemeAndBytes) {
  ScratchDir dir;
  auto result = convert_checkpoint(quant_options("grid-q4_0", dir / "q.hfb", Scheme::kQ4_0));
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  auto source = load_checkpoint(kFixtures + "grid-q4_0");
  ASSERT_TRUE(source.ok());
  auto bundle = Bundle::open(dir / "q.hfb");
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  const auto& coverage = (*bundle)->manifest().coverage();
  ASSERT_EQ(static_cast<size_t>(coverage.size()), source->tensors.size());
  EXPECT_EQ(result->coverage.entries.size(), source->tensors.size());
  std::map<std::string, const bundle::CoverageRecord*> by_name;
  for (const bundle::CoverageRecord& r : coverage) by_name[r.tensor()] = &r;
  int q4 = 0;
  for (const TensorInfo& t : source->tensors.tensors()) {
    ASSERT_EQ(by_name.count(t.name), 1u) << t.name << " missing from the coverage";
    const bundle::CoverageRecord& r = *by_name[t.name];
    EXPECT_FALSE(r.reason().empty()) << t.name;
    EXPECT_EQ(r.bytes_before(), t.num_bytes) << t.name;
    const BundleTensor* written = (*bundle)->find(t.name);
    if (written == nullptr) {  // removed by a pass: said so, no bytes
      EXPECT_EQ(r.bytes_after(), 0u);
      EXPECT_NE(r.reason().find("removed by pass"), std::string::npos) << r.reason();
      continue;
    }
    uint64_t stored = 0;
    for (const BundleSegmentView& s : written->segments) stored += s.length;
    EXPECT_EQ(r.bytes_after(), stored) << t.name;
    EXPECT_EQ(r.scheme(), written->scheme.empty() ? "none" : written->scheme) << t.name;
    if (t.role == Role::kAttnQ) {
      EXPECT_EQ(r.scheme(), "q4_0") << t.name;
    }
    if (t.role == Role::kTokenEmbedding) {
      EXPECT_EQ(r.scheme(), "int8") << t.name;
    }
    if (role_is_norm(t.role)) {
      EXPECT_EQ(r.scheme(), "none") << t.name;
    }
    if (r.scheme() == "q4_0") {
      ++q4;
      EXPECT_EQ(stored, t.num_bytes / 2 / 32 * 18) << t.name;  // 18 bytes per 32 bf16 weights
    }
  }
  EXPECT_GT(q4, 0);
  EXPECT_LT(result->coverage.total.bytes_after, result->coverage.total.bytes_before);
  EXPECT_NE(result->to_string().find("model.layers.0.self_attn.q_proj.weight"), std::string::npos);
}

TEST(ConvertQuant, GridInt8IsLosslessAndBytesEqualQuantize) {
  ScratchDir dir;
  ConvertOptions options = quant_options("grid-int8", dir / "i8.hfb", Scheme::kInt8);
  auto result = convert_checkpoint(options);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  int quantized = 0;
  for (const CoverageEntry& e : result->coverage.entries) {
    if (!e.metrics) continue;
    ++quantized;
    EXPECT_EQ(e.scheme, Scheme::kInt8) << e.name;
    EXPECT_EQ(e.metrics->sse, 0.0) << e.name << " is on the int8 grid";
  }
  EXPECT_GT(quantized, 0);
  BundleReadOptions check;
  check.check = BundleCheck::kChecksums;
  auto bundle = Bundle::open(dir / "i8.hfb", check);
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  auto source = load_checkpoint(kFixtures + "grid-int8");
  ASSERT_TRUE(source.ok());
  auto policy = QuantPolicy::create(options.quant);
  ASSERT_TRUE(policy.ok());
  for (const char* name : {"model.layers.0.self_attn.q_proj.weight", "model.embed_tokens.weight"}) {
    expect_parts_equal_quantize(**bundle, *source->tensors.find(name), *policy);
  }
}

// A synthetic bf16 tensor larger than one streamed block: every scheme's bundle parts equal quantize()
// of the whole tensor (blocks of whole rows, whole k-means groups; per-tensor scales in one block).
TEST(ConvertQuant, StreamedBlocksEqualWholeTensorQuantize) {
  const int64_t rows = 4100, cols = 1024;  // 8.4 MB of bf16: two blocks of kConvertBlockBytes
  std::vector<uint8_t> bytes(static_cast<size_t>(rows * cols * 2));
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (size_t i = 0; i < bytes.size(); i += 2) {
    float v = normal(rng);
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    bytes[i] = static_cast<uint8_t>(bits >> 16);
    bytes[i + 1] = static_cast<uint8_t>(bits >> 24);
  }
  TensorInfo info;
  info.name = "synthetic.weight";
  info.dtype = DTypeId::kBF16;
  info.shape = Shape({rows, cols});
  info.role = Role::kMlpUp;
  info.num_bytes = bytes.size();
  info.source = std::make_shared<MemorySource>(bytes);
  struct Case {
    Scheme scheme;
    QuantParams params;
  };
  QuantParams block64, per_tensor, group32;
  block64.block_size = 64;
  per_tensor.per_tensor = true;
  group32.group_size = 32;
  const std::vector<Case> cases = {{Scheme::kQ4_0, {}}, {Scheme::kInt8, block64}, {Scheme::kInt4, per_tensor},
                                   {Scheme::kKmeans4, group32}};
  ScratchDir dir;
  auto writer = BundleWriter::create(dir / "s.hfb");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->add_file("chunk_00.bin", BundleFileKind::kChunk).ok());
  std::vector<EncodedTensor> expected;
  for (size_t i = 0; i < cases.size(); ++i) {
    TensorDecision decision{cases[i].scheme, cases[i].params, "test", false};
    TensorInfo named = info;
    named.name = "t" + std::to_string(i);
    if (cases[i].scheme != Scheme::kInt4) {
      EXPECT_LT(convert_block_rows(named, decision), rows);  // streamed in more than one block
    }
    TensorTarget target{writer->get(), "chunk_00.bin", "", nullptr};
    auto streamed = stream_tensor(named, decision, target);
    ASSERT_TRUE(streamed.ok()) << streamed.error().to_string();
    auto whole = quantize(cases[i].scheme, named, cases[i].params);
    ASSERT_TRUE(whole.ok());
    EXPECT_EQ(streamed->coverage.bytes_after, whole->encoded_bytes());
    EXPECT_NEAR(streamed->coverage.metrics->snr_db(), whole->metrics.snr_db(), 1e-3);  // float partial sums
    EXPECT_EQ(streamed->coverage.metrics->max_abs_error, whole->metrics.max_abs_error);
    EXPECT_EQ(streamed->coverage.metrics->num_weights, rows * cols);
    expected.push_back(std::move(whole).value());
  }
  ASSERT_TRUE((*writer)->finish().ok());
  auto bundle = Bundle::open(dir / "s.hfb");
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  for (size_t i = 0; i < cases.size(); ++i) {
    const BundleTensor* t = (*bundle)->find("t" + std::to_string(i));
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(segment_bytes(*t, "codes"), expected[i].codes) << scheme_name(cases[i].scheme);
    EXPECT_EQ(segment_bytes(*t, "scales"), expected[i].scales) << scheme_name(cases[i].scheme);
    EXPECT_EQ(segment_bytes(*t, "lut"), lut_bytes(expected[i])) << scheme_name(cases[i].scheme);
  }
}

/// A sink that accepts `budget` bytes, then fails like a full disk.
class FullDiskSink final : public WriteSink {
 public:
  FullDiskSink(std::unique_ptr<WriteSink> inner, uint64_t budget) : inner_(std::move(inner)), budget_(budget) {}
  Status write(const uint8_t* data, uint64_t size) override {
    if (size > budget_) return Error(ErrorCode::kIo, "write failed: No space left on device (disk full?)");
    budget_ -= size;
    return inner_->write(data, size);
  }
  Status close() override { return inner_->close(); }

 private:
  std::unique_ptr<WriteSink> inner_;
  uint64_t budget_;
};

// An I/O error in the second streamed block (written on the helper thread) fails the tensor with kIo, and
// the abandoned writer leaves neither OUT nor its temp directory.
TEST(ConvertQuant, WriteErrorMidTensorFailsCleanly) {
  const int64_t rows = 8192, cols = 1024;  // 16 MiB of bf16 zeros: two blocks
  TensorInfo info;
  info.name = "big.weight";
  info.dtype = DTypeId::kBF16;
  info.shape = Shape({rows, cols});
  info.role = Role::kMlpUp;
  info.num_bytes = static_cast<uint64_t>(rows * cols * 2);
  info.source = std::make_shared<MemorySource>(std::vector<uint8_t>(info.num_bytes, 0));
  ScratchDir dir;
  BundleWriterOptions options;
  options.sink_factory = [](const std::string& path) -> Result<std::unique_ptr<WriteSink>> {
    HFB_TRY(std::unique_ptr<WriteSink> inner, open_file_sink(path));
    return std::unique_ptr<WriteSink>(new FullDiskSink(std::move(inner), 3u << 20));
  };
  {
    auto writer = BundleWriter::create(dir / "full.hfb", options);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->add_file("chunk_00.bin", BundleFileKind::kChunk).ok());
    TensorDecision decision{Scheme::kQ8_0, {}, "test", false};
    ASSERT_GT(rows, convert_block_rows(info, decision));
    auto streamed = stream_tensor(info, decision, TensorTarget{writer->get(), "chunk_00.bin", "", nullptr});
    ASSERT_FALSE(streamed.ok());
    EXPECT_EQ(streamed.error().code, ErrorCode::kIo);
    EXPECT_EQ(streamed.error().tensor, "big.weight");
    EXPECT_NE(streamed.error().to_string().find("disk full"), std::string::npos) << streamed.error().to_string();
  }
  EXPECT_TRUE(testing::list_dir(dir.path()).empty());
}

// Non-finite input to int8 in the second streamed block: an error naming the tensor and the block's rows.
TEST(ConvertQuant, NonFiniteInALaterBlockIsAnErrorNamingTensorAndRows) {
  const int64_t rows = 4100, cols = 1024;
  std::vector<uint8_t> bytes(static_cast<size_t>(rows * cols * 2), 0);
  bytes[bytes.size() - 1] = 0x7F;  // last element = bf16 0x7FC0: NaN
  bytes[bytes.size() - 2] = 0xC0;
  TensorInfo info;
  info.name = "nan.weight";
  info.dtype = DTypeId::kBF16;
  info.shape = Shape({rows, cols});
  info.num_bytes = bytes.size();
  info.source = std::make_shared<MemorySource>(std::move(bytes));
  TensorDecision decision{Scheme::kInt8, {}, "test", false};
  auto streamed = stream_tensor(info, decision, TensorTarget{});
  ASSERT_FALSE(streamed.ok());
  const std::string message = streamed.error().to_string();
  EXPECT_NE(message.find("nan.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("[4096, 4100)"), std::string::npos) << message;
}

TEST(ConvertQuant, TwoConvertsAreByteIdenticalForAnyThreadCount) {
  ScratchDir dir;
  ConvertOptions a = quant_options("grid-q4_0", dir / "a.hfb", Scheme::kQ4_0);
  a.quant.tensor_types.push_back({".*mlp\\.up_proj.*", Scheme::kKmeans4});
  ConvertOptions b = a;
  b.out = dir / "b.hfb";
  b.quant.params.num_threads = 1;
  ASSERT_TRUE(convert_checkpoint(a).ok());
  ASSERT_TRUE(convert_checkpoint(b).ok());
  const auto files = testing::list_dir(a.out);
  ASSERT_EQ(files, testing::list_dir(b.out));
  ASSERT_FALSE(files.empty());
  for (const std::string& f : files) {
    EXPECT_EQ(testing::read_all(a.out + "/" + f), testing::read_all(b.out + "/" + f)) << f << " differs";
  }
}

// The same quantized tensors through --zip and --zstd: checksums hold and the parts are unchanged.
TEST(ConvertQuant, ZipZstdBundleHoldsTheSameEncodedParts) {
  ScratchDir dir;
  ConvertOptions plain = quant_options("grid-q4_0", dir / "d.hfb", Scheme::kQ4_0);
  ConvertOptions zipped = quant_options("grid-q4_0", dir / "z.hfb.zip", Scheme::kQ4_0);
  zipped.zip = true;
  zipped.zstd_level = 3;
  ASSERT_TRUE(convert_checkpoint(plain).ok());
  auto z = convert_checkpoint(zipped);
  ASSERT_TRUE(z.ok()) << z.error().to_string();
  BundleReadOptions check;
  check.check = BundleCheck::kChecksums;
  auto a = Bundle::open(plain.out, check);
  auto b = Bundle::open(zipped.out, check);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*b)->manifest().coverage_size(), static_cast<int>(z->coverage.entries.size()));
  for (const char* name : {"model.layers.1.mlp.down_proj.weight", "model.embed_tokens_per_layer.weight"}) {
    const BundleTensor* ta = (*a)->find(name);
    const BundleTensor* tb = (*b)->find(name);
    ASSERT_TRUE(ta && tb) << name;
    EXPECT_FALSE(ta->scheme.empty()) << name;
    for (const char* part : {"codes", "scales"}) EXPECT_EQ(segment_bytes(*ta, part), segment_bytes(*tb, part));
  }
}

// A shape q4_0 cannot take ([64, 16] PLE layer projections with --min-elements 0) falls back to int8 per
// row, reported as such; nothing is left unquantized silently.
TEST(ConvertQuant, FallbackIsReportedInTheCoverage) {
  ConvertOptions options = quant_options("grid-q4_0", "", Scheme::kQ4_0);
  options.dry_run = true;
  options.quant.min_elements = 0;
  auto result = convert_checkpoint(options);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  int fallbacks = 0;
  for (const CoverageEntry& e : result->coverage.entries) {
    if (e.role != Role::kPleLayerProjection) continue;
    ++fallbacks;
    EXPECT_TRUE(e.fallback) << e.name;
    EXPECT_EQ(e.scheme, Scheme::kInt8) << e.name;
    EXPECT_NE(e.reason.find("fallback to int8 per row"), std::string::npos) << e.reason;
  }
  EXPECT_EQ(fallbacks, 4);
}

TEST(ConvertQuant, DryRunWritesNothingAndProjectsTheWrittenSize) {
  ScratchDir dir;
  ConvertOptions options = quant_options("grid-q4_0", dir / "dry.hfb", Scheme::kQ4_0);
  options.dry_run = true;
  auto dry = convert_checkpoint(options);
  ASSERT_TRUE(dry.ok()) << dry.error().to_string();
  EXPECT_FALSE(dry->written);
  EXPECT_TRUE(testing::list_dir(dir.path()).empty());
  options.dry_run = false;
  auto real = convert_checkpoint(options);
  ASSERT_TRUE(real.ok()) << real.error().to_string();
  EXPECT_GT(dry->output_bytes, 0u);
  EXPECT_EQ(dry->output_bytes, real->output_bytes);
  EXPECT_EQ(dry->tensor_bytes, real->tensor_bytes);
  EXPECT_EQ(dry->coverage.entries.size(), real->coverage.entries.size());
  const std::string text = dry->to_string();
  EXPECT_NE(text.find("dry run: nothing written; projected"), std::string::npos) << text;
  EXPECT_NE(text.find(std::to_string(dry->output_bytes)), std::string::npos);
}

#ifdef HFB_CLI_PATH
TEST(ConvertQuantCli, BadQuantAndBadTensorTypeExitTwoWithAMessage) {
  ScratchDir dir;
  const std::string src = kFixtures + "grid-q4_0";
  auto bad_scheme = testing::run_cli("convert " + src + " -o " + (dir / "x.hfb") + " --quant q5_k 2>&1");
  EXPECT_EQ(bad_scheme.exit_code, 2);
  EXPECT_NE(bad_scheme.out.find("q5_k"), std::string::npos) << bad_scheme.out;
  EXPECT_NE(bad_scheme.out.find("q4_0"), std::string::npos) << "valid names listed: " << bad_scheme.out;
  auto bad_regex =
      testing::run_cli("convert " + src + " -o " + (dir / "x.hfb") + " --quant q4_0 --tensor-type '(=int8' 2>&1");
  EXPECT_EQ(bad_regex.exit_code, 2);
  EXPECT_NE(bad_regex.out.find("invalid regex"), std::string::npos) << bad_regex.out;
  auto no_eq = testing::run_cli("convert " + src + " -o " + (dir / "x.hfb") + " --tensor-type 'abc' 2>&1");
  EXPECT_EQ(no_eq.exit_code, 2);
  EXPECT_NE(no_eq.out.find("REGEX=SCHEME"), std::string::npos) << no_eq.out;
  EXPECT_TRUE(testing::list_dir(dir.path()).empty());
}

TEST(ConvertQuantCli, DryRunJsonCarriesCoverageAndProjectedSize) {
  ScratchDir dir;
  auto r =
      testing::run_cli("convert " + kFixtures + "grid-q4_0 -o " + (dir / "x.hfb") + " --quant q4_0 --dry-run --json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("\"written\":false"), std::string::npos);
  EXPECT_NE(r.out.find("\"output_bytes\":"), std::string::npos);
  EXPECT_NE(r.out.find("\"coverage\":{"), std::string::npos) << r.out.substr(0, 400);
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"("scheme":\s*"q4_0")")));
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"("reason":\s*"norm weight: kept float by default")")));
  EXPECT_TRUE(testing::list_dir(dir.path()).empty());
}

// The grid fixtures' weights lie on their scheme's grid: a bundle converted with the matching scheme verifies
// against the goldens with --margin 0 (every token, logits within tolerance), from the bundle alone.
TEST(ConvertQuantCli, GridBundlesVerifyLosslessAgainstTheirGoldens) {
  ScratchDir dir;
  const std::vector<std::pair<std::string, std::string>> grids = {
      {"grid-q4_0", "q4_0"}, {"grid-int8", "int8"}, {"grid-int4", "int4"}, {"grid-kmeans", "kmeans4"}};
  for (const auto& [fixture, scheme] : grids) {
    const std::string out = dir / (fixture + ".hfb");
    auto converted =
        testing::run_cli("convert " + kFixtures + fixture + " -o " + out + " --quant " + scheme + " --quiet");
    ASSERT_EQ(converted.exit_code, 0) << fixture;
    auto verified = testing::run_cli("verify " + out + " --golden " + kFixtures + fixture + " --margin 0");
    EXPECT_EQ(verified.exit_code, 0) << fixture << ":\n" << verified.out;
    EXPECT_NE(verified.out.find("verdict: PASS"), std::string::npos) << fixture;
  }
}
#endif

}  // namespace
}  // namespace hfb
