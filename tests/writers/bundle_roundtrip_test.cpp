// Bundle round trip and determinism: write tensors of several dtypes into 2+ chunk files (raw and zstd,
// directory and zip), read them back with the bundle reader, compare bytes and metadata.
#include <gtest/gtest.h>

#include <cstring>

#include "formats/bundle.pb.h"
#include "readers/bundle/bundle_reader.h"
#include "tests/writers/bundle_test_util.h"
#include "writers/bundle_writer.h"

namespace hfb {
namespace {

using testing::ScratchDir;

std::vector<uint8_t> pattern_bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
  return v;
}

ModelConfig sample_config() {
  ModelConfig c;
  c.architecture = "Gemma4ForConditionalGeneration";
  c.model_type = "gemma4";
  c.text.num_hidden_layers = 2;
  c.text.hidden_size = 8;
  c.text.vocab_size = 16;
  c.text.hidden_activation = "gelu_pytorch_tanh";
  c.text.final_logit_softcapping = 30.0;
  for (int i = 0; i < 2; ++i) {
    TextLayerSpec l;
    l.index = i;
    l.attention = i == 1 ? AttentionType::kFull : AttentionType::kSliding;
    l.head_dim = 4 << i;
    l.num_heads = 2;
    l.num_kv_heads = 1;
    l.kv_shared_from = i == 1 ? 0 : -1;
    l.intermediate_size = 32;
    l.rope.type = i == 1 ? RopeType::kProportional : RopeType::kDefault;
    l.rope.theta = i == 1 ? 1e6 : 1e4;
    l.rope.partial_rotary_factor = i == 1 ? 0.25 : 1.0;
    c.text.layers.push_back(l);
  }
  c.audio = AudioConfig{};
  c.audio->hidden_size = 12;
  c.audio->subsampling_conv_channels = {4, 8};
  c.generation.eos_token_ids = {1, 106};
  c.image_token_id = 255999;
  return c;
}

struct SampleTensor {
  BundleTensorMeta meta;
  std::string file;
  std::map<std::string, std::vector<uint8_t>> parts;  // part -> bytes
};

std::vector<SampleTensor> sample_tensors() {
  std::vector<SampleTensor> v;
  auto plain = [&](std::string name, Role role, int layer, std::string chunk, DType dtype, Shape shape,
                   std::string file, uint8_t seed) {
    SampleTensor t;
    t.meta.name = std::move(name);
    t.meta.role = role;
    t.meta.layer = layer;
    t.meta.chunk = std::move(chunk);
    t.meta.dtype = dtype;
    t.meta.shape = shape;
    t.file = std::move(file);
    t.parts["data"] = pattern_bytes(*shape.num_bytes(dtype), seed);
    v.push_back(std::move(t));
  };
  plain("model.embed_tokens.weight", Role::kTokenEmbedding, -1, "", DTypeId::kBF16, {16, 8}, "embedding.bin", 1);
  plain("model.layers.0.self_attn.q_proj.weight", Role::kAttnQ, 0, "chunk_00", DTypeId::kF32, {4, 8}, "chunk_00.bin", 2);
  plain("model.layers.0.input_layernorm.weight", Role::kNorm, 0, "chunk_00", DTypeId::kBF16, {3, 5}, "chunk_00.bin", 3);
  plain("model.layers.1.mlp.up_proj.weight", Role::kMlpUp, 1, "chunk_01", DTypeId::kQ4_0, {2, 64}, "chunk_01.bin", 4);
  plain("model.layers.1.layer_scalar", Role::kLayerScalar, 1, "chunk_01", DTypeId::kI32, {7}, "chunk_01.bin", 5);
  SampleTensor q;
  q.meta.name = "model.layers.1.mlp.down_proj.weight";
  q.meta.role = Role::kMlpDown;
  q.meta.layer = 1;
  q.meta.chunk = "chunk_01";
  q.meta.dtype = DTypeId::kBF16;
  q.meta.shape = Shape{8, 32};
  q.meta.scheme = "int4";
  q.meta.block_size = 16;
  q.meta.scale_dtype = "F16";
  q.file = "chunk_01.bin";
  q.parts["codes"] = pattern_bytes(128, 6);
  q.parts["scales"] = pattern_bytes(32, 7);
  v.push_back(std::move(q));
  return v;
}

// Writes the sample bundle; tensor bytes go in row blocks of 13 bytes to exercise streaming appends.
Result<std::string> write_sample(const std::string& out, BundleWriterOptions options, const std::string& config_json) {
  HFB_TRY(auto writer, BundleWriter::create(out, std::move(options)));
  writer->set_source("tiny-gemma4", 0x1234abcd, 42);
  writer->set_config(sample_config());
  HFB_TRY(writer->add_file("chunk_00.bin", BundleFileKind::kChunk));
  HFB_TRY(writer->add_file("chunk_01.bin", BundleFileKind::kChunk));
  HFB_TRY(writer->add_file("embedding.bin", BundleFileKind::kEmbedding));
  HFB_TRY(writer->add_chunk({"chunk_00", "decoder", 0, 1, "chunk_00.bin", {"hidden"}, {"hidden_1"}, {"kv_0"}}));
  HFB_TRY(writer->add_chunk({"chunk_01", "decoder", 1, 2, "chunk_01.bin", {"hidden_1"}, {"logits"}, {}}));
  bundle::Node* node = writer->manifest().mutable_chunks(0)->mutable_graph()->add_nodes();
  node->set_op("rms_norm");
  bundle::Attribute* attr = node->add_attributes();
  attr->set_name("eps");
  attr->set_f(1e-6);
  writer->add_coverage({"model.layers.1.mlp.down_proj.weight", "int4", "policy: mlp", "role", 512, 160, {{"snr_db", 21.5}}});
  writer->add_pass_record("fold_norms", "folded 2 norms");
  for (const SampleTensor& t : sample_tensors()) {
    HFB_TRY(writer->begin_tensor(t.meta));
    for (const auto& [part, bytes] : t.parts) {
      HFB_TRY(writer->begin_segment(part, t.file));
      for (size_t i = 0; i < bytes.size(); i += 13) {
        HFB_TRY(writer->append(ByteSpan{bytes.data() + i, std::min<uint64_t>(13, bytes.size() - i)}));
      }
      HFB_TRY(writer->end_segment());
    }
    HFB_TRY(writer->end_tensor());
  }
  HFB_TRY(writer->close_file("chunk_00.bin"));  // complete early, as a streaming convert does
  HFB_TRY(writer->copy_file(config_json, "config.json"));
  return writer->finish();
}

void expect_bytes(const BundleSegmentView& seg, const std::vector<uint8_t>& expected, const std::string& name) {
  auto span = seg.source->read(seg.offset, seg.length);
  ASSERT_TRUE(span.ok()) << span.error().to_string();
  ASSERT_EQ(span->size, expected.size()) << name;
  EXPECT_EQ(std::memcmp(span->data, expected.data(), expected.size()), 0) << name << " part " << seg.part;
  EXPECT_EQ(seg.offset % 64, 0u) << name;
}

struct RoundTripCase {
  int zstd_level;
  bool zip;
};

class BundleRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(BundleRoundTrip, ReadsBackIdenticalBytesAndMetadata) {
  ScratchDir dir;
  testing::write_all(dir / "config.json", "{\"model_type\": \"gemma4\"}\n");
  BundleWriterOptions options;
  options.zstd_level = GetParam().zstd_level;
  options.zip = GetParam().zip;
  const std::string out = dir / (GetParam().zip ? "tiny.hfb.zip" : "tiny.hfb");
  auto written = write_sample(out, options, dir / "config.json");
  ASSERT_TRUE(written.ok()) << written.error().to_string();
  EXPECT_EQ(*written, out);
  EXPECT_EQ(testing::list_dir(dir.path()).size(), 2u) << "no temp debris next to OUT";

  BundleReadOptions read_options;
  read_options.check = BundleCheck::kChecksums;
  auto bundle = Bundle::open(out, read_options);
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  const Bundle& b = **bundle;
  EXPECT_EQ(b.is_zip(), GetParam().zip);
  EXPECT_EQ(b.format_major(), 1u);
  EXPECT_EQ(b.manifest().source().checkpoint_name(), "tiny-gemma4");
  EXPECT_EQ(b.manifest().source().tensor_count(), 42u);
  EXPECT_EQ(b.manifest().chunks(0).graph().nodes(0).attributes(0).f(), 1e-6);
  EXPECT_EQ(b.manifest().coverage(0).bytes_after(), 160u);
  EXPECT_EQ(b.manifest().passes(0).pass(), "fold_norms");
  const ModelConfig expected_config = sample_config();
  EXPECT_EQ(b.config().text.layers, expected_config.text.layers);
  EXPECT_EQ(b.config().text.final_logit_softcapping, 30.0);
  ASSERT_TRUE(b.config().audio.has_value());
  EXPECT_EQ(b.config().audio->subsampling_conv_channels, (std::vector<int>{4, 8}));
  EXPECT_FALSE(b.config().vision.has_value());
  EXPECT_EQ(b.config().generation.eos_token_ids, (std::vector<int>{1, 106}));
  ASSERT_EQ(b.chunks().size(), 2u);
  EXPECT_EQ(b.chunks()[0].state, (std::vector<std::string>{"kv_0"}));
  EXPECT_EQ(b.chunks()[1].file, GetParam().zstd_level > 0 ? "chunk_01.bin.zst" : "chunk_01.bin");

  const auto samples = sample_tensors();
  ASSERT_EQ(b.tensors().size(), samples.size());
  for (const SampleTensor& s : samples) {
    const BundleTensor* t = b.find(s.meta.name);
    ASSERT_NE(t, nullptr) << s.meta.name;
    EXPECT_EQ(t->info.dtype, s.meta.dtype);
    EXPECT_EQ(t->info.shape, s.meta.shape);
    EXPECT_EQ(t->info.role, s.meta.role);
    EXPECT_EQ(t->info.layer, s.meta.layer);
    EXPECT_EQ(t->chunk, s.meta.chunk);
    EXPECT_EQ(t->scheme, s.meta.scheme);
    ASSERT_EQ(t->segments.size(), s.parts.size());
    for (const auto& [part, bytes] : s.parts) {
      ASSERT_NE(t->segment(part), nullptr) << part;
      expect_bytes(*t->segment(part), bytes, s.meta.name);
    }
  }
  const BundleTensor* q = b.find("model.layers.1.mlp.down_proj.weight");
  EXPECT_EQ(q->block_size, 16u);
  EXPECT_EQ(q->scale_dtype, "F16");
  EXPECT_EQ(b.plain_tensor_table().size(), samples.size() - 1);
  auto cfg = b.file("config.json");
  ASSERT_TRUE(cfg.ok());
  auto cfg_bytes = (*cfg)->read(0, (*cfg)->size());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(cfg_bytes->data), cfg_bytes->size),
            "{\"model_type\": \"gemma4\"}\n");
}

INSTANTIATE_TEST_SUITE_P(Layouts, BundleRoundTrip,
                         ::testing::Values(RoundTripCase{0, false}, RoundTripCase{3, false}, RoundTripCase{0, true},
                                           RoundTripCase{5, true}),
                         [](const auto& info) {
                           return std::string(info.param.zip ? "Zip" : "Dir") +
                                  (info.param.zstd_level > 0 ? "Zstd" : "Raw");
                         });

TEST(BundleWriter, FilesAreCompressedAndRecordBothSizes) {
  ScratchDir dir;
  testing::write_all(dir / "config.json", "{}");
  BundleWriterOptions options;
  options.zstd_level = 3;
  ASSERT_TRUE(write_sample(dir / "z.hfb", options, dir / "config.json").ok());
  EXPECT_EQ(testing::list_dir(dir / "z.hfb"),
            (std::vector<std::string>{"chunk_00.bin.zst", "chunk_01.bin.zst", "config.json", "embedding.bin.zst",
                                      "manifest.pb"}));
  auto bundle = Bundle::open(dir / "z.hfb");
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  for (const bundle::File& f : (*bundle)->manifest().files()) {
    if (f.kind() == bundle::FILE_CONFIG) {
      EXPECT_EQ(f.compression(), bundle::COMPRESSION_NONE);
      continue;
    }
    EXPECT_EQ(f.compression(), bundle::COMPRESSION_ZSTD) << f.name();
    EXPECT_EQ(f.zstd_level(), 3);
    EXPECT_GT(f.raw_size(), 0u);
    EXPECT_EQ(f.stored_size(), testing::read_all(dir / "z.hfb/" + f.name()).size());
  }
}

class BundleDeterminism : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(BundleDeterminism, SameInputGivesByteIdenticalBundles) {
  ScratchDir dir;
  testing::write_all(dir / "config.json", "{\"a\": 1}");
  BundleWriterOptions options;
  options.zstd_level = GetParam().zstd_level;
  options.zip = GetParam().zip;
  ASSERT_TRUE(write_sample(dir / "a.hfb", options, dir / "config.json").ok());
  ASSERT_TRUE(write_sample(dir / "b.hfb", options, dir / "config.json").ok());
  if (GetParam().zip) {
    const std::string a = testing::read_all(dir / "a.hfb"), b = testing::read_all(dir / "b.hfb");
    EXPECT_GT(a.size(), 0u);
    EXPECT_TRUE(a == b) << "zip files differ";
    return;
  }
  const auto names = testing::list_dir(dir / "a.hfb");
  ASSERT_EQ(names, testing::list_dir(dir / "b.hfb"));
  for (const std::string& n : names) {
    EXPECT_TRUE(testing::read_all(dir / ("a.hfb/" + n)) == testing::read_all(dir / ("b.hfb/" + n))) << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, BundleDeterminism,
                         ::testing::Values(RoundTripCase{0, false}, RoundTripCase{3, false}, RoundTripCase{0, true},
                                           RoundTripCase{3, true}),
                         [](const auto& info) {
                           return std::string(info.param.zip ? "Zip" : "Dir") +
                                  (info.param.zstd_level > 0 ? "Zstd" : "Raw");
                         });

TEST(BundleWriter, RejectsWrongTensorSizeAndMisuse) {
  ScratchDir dir;
  auto writer = BundleWriter::create(dir / "x.hfb");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->add_file("chunk_00.bin", BundleFileKind::kChunk).ok());
  BundleTensorMeta meta;
  meta.name = "w";
  meta.dtype = DTypeId::kF32;
  meta.shape = Shape{2, 2};
  const std::vector<uint8_t> bytes(12);
  Status s = (*writer)->write_tensor(meta, "chunk_00.bin", ByteSpan{bytes.data(), bytes.size()});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("expected 16"), std::string::npos) << s.error().to_string();
  EXPECT_EQ(s.error().tensor, "w");
  EXPECT_FALSE((*writer)->finish().ok()) << "a failed writer stays failed";
  EXPECT_TRUE(testing::list_dir(dir.path()).empty()) << "failure removed the temp directory";
}

TEST(BundleWriter, WritesSchemePartsInOrderAligned) {
  ScratchDir dir;
  auto writer = BundleWriter::create(dir / "p.hfb");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->add_file("chunk_00.bin", BundleFileKind::kChunk).ok());
  BundleTensorMeta meta;
  meta.name = "w";
  meta.shape = Shape{4, 32};
  meta.scheme = "kmeans4";
  meta.group_size = 4;
  meta.per_channel_scale = true;  // the 8 scale bytes: one f16 per row (the reader checks part sizes)
  meta.scale_dtype = "F16";
  const auto codes = pattern_bytes(64, 1), lut = pattern_bytes(64, 2), scales = pattern_bytes(8, 3);
  ASSERT_TRUE((*writer)->write_tensor_parts(meta, "chunk_00.bin", {{"codes", {codes.data(), codes.size()}},
                                                                   {"scales", {scales.data(), scales.size()}},
                                                                   {"lut", {lut.data(), lut.size()}}}).ok());
  ASSERT_TRUE((*writer)->finish().ok());
  BundleReadOptions checked;
  checked.check = BundleCheck::kChecksums;
  auto bundle = Bundle::open(dir / "p.hfb", checked);
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  const BundleTensor& t = (*bundle)->tensors()[0];
  ASSERT_EQ(t.segments.size(), 3u);
  EXPECT_EQ(t.segments[0].part, "codes");
  EXPECT_EQ(t.segments[1].offset, 64u);
  EXPECT_EQ(t.segments[2].offset, 128u) << "8 scale bytes padded to the next 64";
  EXPECT_EQ(t.group_size, 4u);
  expect_bytes(t.segments[2], lut, "w");
}

TEST(BundleWriter, RejectsBadEntryNames) {
  ScratchDir dir;
  for (const char* name : {"../evil.bin", "manifest.pb", ".hidden", "a/b.bin", "x.bin.zst", ""}) {
    auto writer = BundleWriter::create(dir / "x.hfb");
    ASSERT_TRUE(writer.ok());
    Status s = (*writer)->add_file(name, BundleFileKind::kChunk);
    EXPECT_FALSE(s.ok()) << name;
  }
  EXPECT_TRUE(testing::list_dir(dir.path()).empty());
}

}  // namespace
}  // namespace hfb
