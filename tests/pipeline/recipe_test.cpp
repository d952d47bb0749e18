// Recipes: canonical JSON round trip, strict validation (a catalogue of bad documents, each refused with its key
// named), the recipe stored in the manifest and shown by inspect, chunk rules in the coverage, and
// `convert --recipe <stored recipe>` reproducing a bundle byte for byte (Source.command_line excluded).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "formats/bundle.pb.h"
#include "formats/bundle_format.h"
#include "pipeline/bundle_inspect.h"
#include "pipeline/convert.h"
#include "pipeline/recipe.h"
#include "readers/bundle/bundle_reader.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using testing::ScratchDir;

const std::string kFixtures = std::string(HFB_FIXTURES_DIR) + "/gemma4/";

Recipe full_recipe() {
  Recipe r;
  r.quant.global = Scheme::kQ4_0;
  r.quant.params.group_size = 16;
  r.quant.params.block_size = 32;
  r.quant.min_elements = 1024;
  r.quant.tensor_types = {{".*layers\\.0\\..*q_proj.*", Scheme::kQ8_0}};
  r.quant.role_types = {{Role::kAttnV, Scheme::kKmeans4}};
  r.quant.chunk_types = {{"decoder.1", Scheme::kInt8}, {"head", Scheme::kNone}};
  r.passes.disable = {"embed-proj-fusion"};
  r.passes.chunks = "2";
  r.notes_json = R"({"kl":0.001,"size":12345})";
  return r;
}

TEST(Recipe, CanonicalJsonRoundTrips) {
  const Recipe r = full_recipe();
  const std::string text = recipe_to_json(r);
  auto back = parse_recipe_json(text, "r.json");
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(recipe_to_json(*back), text);
  EXPECT_EQ(back->quant.global, Scheme::kQ4_0);
  EXPECT_EQ(back->quant.params.group_size, 16);
  EXPECT_EQ(back->quant.params.block_size, 32);
  EXPECT_EQ(back->quant.min_elements, 1024);
  ASSERT_EQ(back->quant.chunk_types.size(), 2u);
  EXPECT_EQ(back->quant.chunk_types[0].first, "decoder.1");
  EXPECT_EQ(back->quant.role_types[0].first, Role::kAttnV);
  EXPECT_EQ(back->passes.chunks, "2");
  EXPECT_EQ(back->passes.disable, std::vector<std::string>{"embed-proj-fusion"});
  EXPECT_NE(text.find("\"notes\""), std::string::npos);
  auto minimal = parse_recipe_json(R"({"hfbundle_recipe": 1, "quant": "int8"})", "m.json");
  ASSERT_TRUE(minimal.ok()) << minimal.error().to_string();
  EXPECT_EQ(minimal->quant.min_elements, kDefaultMinElements);
  EXPECT_EQ(minimal->passes.chunks, "auto");
}

TEST(Recipe, SetChunkTypeReplacesOrAppends) {
  Recipe r = full_recipe();
  set_recipe_chunk_type(&r, "decoder.1", Scheme::kQ8_0);
  set_recipe_chunk_type(&r, "decoder.0", Scheme::kInt4);
  ASSERT_EQ(r.quant.chunk_types.size(), 3u);
  EXPECT_EQ(r.quant.chunk_types[0], std::make_pair(std::string("decoder.1"), Scheme::kQ8_0));
  EXPECT_EQ(r.quant.chunk_types[2], std::make_pair(std::string("decoder.0"), Scheme::kInt4));
}

TEST(Recipe, SetChunkTypeDropsThatChunksRoleEntries) {
  Recipe r;
  r.quant.chunk_types = {{"decoder.1", Scheme::kQ4_0}, {"decoder.1:attn_q", Scheme::kInt8},
                         {"decoder.10:attn_q", Scheme::kInt8}, {"decoder.2:mlp_up", Scheme::kInt8}};
  set_recipe_chunk_type(&r, "decoder.1", Scheme::kQ8_0);
  const std::vector<std::pair<std::string, Scheme>> want = {
      {"decoder.1", Scheme::kQ8_0}, {"decoder.10:attn_q", Scheme::kInt8}, {"decoder.2:mlp_up", Scheme::kInt8}};
  EXPECT_EQ(r.quant.chunk_types, want);
  auto parsed = parse_recipe_json(R"({"hfbundle_recipe": 1, "quant": "none", "chunk_types": {"decoder.0:attn_q": "int8"}})", "t");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->quant.chunk_types.at(0).first, "decoder.0:attn_q");
  auto bad = parse_recipe_json(R"({"hfbundle_recipe": 1, "quant": "none", "chunk_types": {"decoder.0:attn": "int8"}})", "t");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("chunk_types.decoder.0:attn"), std::string::npos) << bad.error().message;
}

struct BadRecipe {
  const char* text;
  ErrorCode code;
  const char* key;  ///< must appear in the message
};

TEST(Recipe, StrictValidationNamesTheKey) {
  const std::string head = R"({"hfbundle_recipe": 1, "quant": "int8", )";
  const std::vector<BadRecipe> cases = {
      {R"({"hfbundle_recipe": 1, "quant": "int8", "qaunt": "int4"})", ErrorCode::kInvalidArgument, "qaunt"},
      {R"({"hfbundle_recipe": 1})", ErrorCode::kInvalidArgument, "quant"},
      {R"({"quant": "int8"})", ErrorCode::kInvalidArgument, "hfbundle_recipe"},
      {R"({"hfbundle_recipe": 2, "quant": "int8"})", ErrorCode::kUnsupported, "hfbundle_recipe"},
      {R"({"hfbundle_recipe": 1, "quant": "int3"})", ErrorCode::kInvalidArgument, "quant"},
      {R"({"hfbundle_recipe": 1, "quant": 8})", ErrorCode::kInvalidArgument, "quant"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "group_size": 0})", ErrorCode::kInvalidArgument, "group_size"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "block_size": -1})", ErrorCode::kInvalidArgument, "block_size"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "block_size": 1.5})", ErrorCode::kInvalidArgument, "block_size"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "min_elements": -5})", ErrorCode::kInvalidArgument, "min_elements"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "per_tensor": "yes"})", ErrorCode::kInvalidArgument, "per_tensor"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "role_types": {"attn_qq": "int8"}})", ErrorCode::kInvalidArgument,
       "role_types.attn_qq"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "role_types": {"attn_q": "q5"}})", ErrorCode::kInvalidArgument,
       "role_types.attn_q"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "chunk_types": {"decoder.1": "int9"}})", ErrorCode::kInvalidArgument,
       "chunk_types.decoder.1"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "chunk_types": ["decoder.1"]})", ErrorCode::kInvalidArgument,
       "chunk_types"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "tensor_types": [{"regex": "(", "scheme": "int8"}]})",
       ErrorCode::kInvalidArgument, "tensor_types[0].regex"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "tensor_types": [{"regex": "a", "scheme": "int8", "x": 1}]})",
       ErrorCode::kInvalidArgument, "tensor_types[0].x"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "tensor_types": [{"regex": "a"}]})", ErrorCode::kInvalidArgument,
       "tensor_types[0]"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "passes": {"chunk": "2"}})", ErrorCode::kInvalidArgument,
       "passes.chunk"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "passes": {"chunks": "two"}})", ErrorCode::kInvalidArgument,
       "passes.chunks"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "passes": {"enable": ["no-such-pass"]}})",
       ErrorCode::kInvalidArgument, "passes"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "notes": 3})", ErrorCode::kInvalidArgument, "notes"},
      {R"({"hfbundle_recipe": 1, "quant": "int8", "quant": "int4"})", ErrorCode::kInvalidArgument, "quant"},
      {R"({"hfbundle_recipe": 1, "quant": "int8",)", ErrorCode::kInvalidFile, "JSON"},
      {R"(["hfbundle_recipe"])", ErrorCode::kInvalidFile, "object"},
  };
  for (const BadRecipe& c : cases) {
    auto parsed = parse_recipe_json(c.text, "bad.json");
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.error().code, c.code) << c.text << ": " << parsed.error().to_string();
    EXPECT_NE(parsed.error().to_string().find(c.key), std::string::npos) << c.text << ": " << parsed.error().to_string();
    EXPECT_NE(parsed.error().to_string().find("bad.json"), std::string::npos) << parsed.error().to_string();
  }
}

ConvertOptions chunked_q4(const std::string& out) {
  ConvertOptions o;
  o.source = kFixtures + "sample";
  o.out = out;
  o.quant.global = Scheme::kQ4_0;
  o.quant.chunk_types = {{"decoder.1", Scheme::kInt8}};
  o.quant.role_types = {{Role::kAttnV, Scheme::kQ8_0}};
  o.passes.chunks = "2";
  o.command_line = "hfbundle convert sample -o a.hfb --quant q4_0 --chunk-type decoder.1=int8 --chunks 2";
  return o;
}

TEST(RecipeConvert, ChunkRuleInCoverageManifestAndInspect) {
  ScratchDir dir;
  auto result = convert_checkpoint(chunked_q4(dir / "a.hfb"));
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  size_t by_chunk = 0;
  for (const CoverageEntry& e : result->coverage.entries) {
    if (e.rule != PolicyRule::kChunkType) continue;
    ++by_chunk;
    EXPECT_EQ(e.scheme, Scheme::kInt8) << e.name;
  }
  EXPECT_GT(by_chunk, 0u);
  auto bundle = Bundle::open(dir / "a.hfb");
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  const bundle::Manifest& m = (*bundle)->manifest();
  EXPECT_EQ(m.version().minor(), kBundleFormatMinor);
  for (const bundle::CoverageRecord& c : m.coverage()) {
    const BundleTensor* t = (*bundle)->find(c.tensor());
    if (t == nullptr || c.scheme() == "none") continue;
    if (t->info.role == Role::kAttnV) {
      EXPECT_EQ(c.rule(), "role-type") << c.tensor();  // role beats chunk
    } else if (t->chunk == "decoder.1") {
      EXPECT_EQ(c.rule(), "chunk-type") << c.tensor();
      EXPECT_EQ(c.scheme(), "int8") << c.tensor();
    }
  }
  auto stored = parse_recipe_json(m.recipe_json(), "manifest");
  ASSERT_TRUE(stored.ok()) << stored.error().to_string();
  EXPECT_EQ(m.recipe_json(), recipe_to_json(convert_recipe(chunked_q4(""))));
  const std::string json = bundle_summary_json(**bundle, -1);  // compact
  EXPECT_NE(json.find("\"recipe\":{\"hfbundle_recipe\":1,\"quant\":\"q4_0\""), std::string::npos);
  EXPECT_NE(json.find("\"rule\":\"chunk-type\""), std::string::npos);
  EXPECT_NE(bundle_summary_text(**bundle).find("recipe:\n  {"), std::string::npos);
}

TEST(RecipeConvert, UnknownChunkIsRefusedWithThePlansNames) {
  ConvertOptions o = chunked_q4("");
  o.dry_run = true;
  o.quant.chunk_types = {{"decoder.7", Scheme::kInt8}};
  auto result = convert_checkpoint(o);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(result.error().message.find("no chunk 'decoder.7'"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("decoder.1"), std::string::npos) << result.error().message;
}

/// Every file of two bundles byte-identical; the manifests identical once Source.command_line is cleared.
void expect_same_bundle(const std::string& a, const std::string& b) {
  const std::vector<std::string> files = testing::list_dir(a);
  ASSERT_EQ(files, testing::list_dir(b));
  for (const std::string& f : files) {
    if (f == "manifest.pb") continue;
    EXPECT_EQ(testing::read_all(a + "/" + f), testing::read_all(b + "/" + f)) << f;
  }
  bundle::Manifest ma, mb;
  ASSERT_TRUE(ma.ParseFromString(testing::read_all(a + "/manifest.pb")));
  ASSERT_TRUE(mb.ParseFromString(testing::read_all(b + "/manifest.pb")));
  ma.mutable_source()->clear_command_line();
  mb.mutable_source()->clear_command_line();
  EXPECT_EQ(ma.SerializeAsString(), mb.SerializeAsString());
}

TEST(RecipeConvert, StoredRecipeReproducesTheBundleByteForByte) {
  ScratchDir dir;
  ASSERT_TRUE(convert_checkpoint(chunked_q4(dir / "a.hfb")).ok());
  auto a = Bundle::open(dir / "a.hfb");
  ASSERT_TRUE(a.ok());
  testing::write_all(dir / "r.json", (*a)->manifest().recipe_json());
  auto recipe = read_recipe_file(dir / "r.json");
  ASSERT_TRUE(recipe.ok()) << recipe.error().to_string();
  ConvertOptions o;
  o.source = kFixtures + "sample";
  o.out = dir / "b.hfb";
  o.command_line = "hfbundle convert sample -o b.hfb --recipe r.json";
  apply_recipe(*recipe, &o);
  ASSERT_TRUE(convert_checkpoint(o).ok());
  expect_same_bundle(dir / "a.hfb", dir / "b.hfb");
  bundle::Manifest mb;
  ASSERT_TRUE(mb.ParseFromString(testing::read_all(dir / "b.hfb/manifest.pb")));
  EXPECT_EQ(mb.source().command_line(), o.command_line);  // the one difference: the command as run
}

}  // namespace
}  // namespace hfb
