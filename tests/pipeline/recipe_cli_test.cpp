// `convert --chunk-type/--recipe`, `inspect --recipe` and `requant` through the binary: flags and their recipe give
// byte-identical bundles, the recipe refuses other policy flags, requant's result passes verify, a crash right
// before the rename leaves the old bundle intact, and the exit codes of refusals.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "formats/bundle.pb.h"
#include "tests/cli/cli_capture.h"
#include "tests/cli/run_cli_helper.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using testing::ScratchDir;
using testing::run_cli;

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";

bundle::Manifest manifest_without_command_line(const std::string& bundle) {
  bundle::Manifest m;
  EXPECT_TRUE(m.ParseFromString(testing::read_all(bundle + "/manifest.pb")));
  m.mutable_source()->clear_command_line();
  return m;
}

TEST(RecipeCli, FlagsAndTheirStoredRecipeGiveTheSameBundle) {
  ScratchDir dir;
  ASSERT_EQ(run_cli("convert " + kSample + " -o " + dir / "a.hfb" +
                    " --quant q4_0 --chunk-type decoder.1=int8 --role-type attn_v=q8_0 --chunks 2 --quiet")
                .exit_code,
            0);
  auto recipe = run_cli("inspect " + dir / "a.hfb" + " --recipe");
  ASSERT_EQ(recipe.exit_code, 0);
  EXPECT_NE(recipe.out.find("\"decoder.1\": \"int8\""), std::string::npos) << recipe.out;
  testing::write_all(dir / "r.json", recipe.out);
  ASSERT_EQ(run_cli("convert " + kSample + " -o " + dir / "b.hfb" + " --recipe " + dir / "r.json" + " --quiet").exit_code,
            0);
  for (const std::string& f : testing::list_dir(dir / "a.hfb")) {
    if (f != "manifest.pb") {
      EXPECT_EQ(testing::read_all(dir / ("a.hfb/" + f)), testing::read_all(dir / ("b.hfb/" + f))) << f;
    }
  }
  EXPECT_EQ(testing::list_dir(dir / "a.hfb"), testing::list_dir(dir / "b.hfb"));
  EXPECT_EQ(manifest_without_command_line(dir / "a.hfb").SerializeAsString(),
            manifest_without_command_line(dir / "b.hfb").SerializeAsString());
  auto json = run_cli("inspect " + dir / "b.hfb" + " --json");
  EXPECT_NE(json.out.find("\"rule\":\"chunk-type\""), std::string::npos);
  EXPECT_NE(json.out.find("\"recipe\":{"), std::string::npos);
}

// --quant auto states its choice as chunk entries (CHUNK and CHUNK:ROLE), not one exact-name rule per tensor; the
// stored recipe (and --save-recipe's file) reproduces the bundle byte for byte with `convert --recipe`.
TEST(RecipeCli, AutoRecipeIsChunkEntriesAndReproducesTheBundleSlow) {
  ScratchDir dir;
  const std::string trained = std::string(HFB_FIXTURES_DIR) + "/gemma4/text-trained";
  testing::write_all(dir / "cal.txt",
                     "The quick brown fox jumps over the lazy dog.\nShe sells sea shells by the sea shore.\n"
                     "A stitch in time saves nine, and a penny saved is a penny earned.\n"
                     "Every good boy deserves fudge; all cows eat grass.\n");
  auto a = testing::run_cli_capture("convert " + trained + " -o " + dir / "a.hfb" + " --quant auto --max-kl 1e-3 --calibrate " +
                   dir / "cal.txt" + " --save-recipe " + dir / "saved.json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.err.find("  recipe: --chunk-type "), std::string::npos) << a.err;
  EXPECT_NE(a.err.find(" --chunk-type decoder.0="), std::string::npos) << a.err;
  EXPECT_NE(a.err.find("confirmation"), std::string::npos) << a.err;
  EXPECT_EQ(a.err.find("--tensor-type"), std::string::npos) << a.err;
  auto recipe = run_cli("inspect " + dir / "a.hfb" + " --recipe");
  ASSERT_EQ(recipe.exit_code, 0);
  EXPECT_NE(recipe.out.find("\"decoder.0\": "), std::string::npos) << recipe.out;
  EXPECT_NE(recipe.out.find("\"tensor_types\": []"), std::string::npos) << recipe.out;
  EXPECT_NE(recipe.out.find("\"validation_kl\""), std::string::npos) << recipe.out;
  EXPECT_EQ(recipe.out, testing::read_all(dir / "saved.json"));
  ASSERT_EQ(run_cli("convert " + trained + " -o " + dir / "b.hfb" + " --recipe " + dir / "saved.json" + " --quiet")
                .exit_code,
            0);
  EXPECT_EQ(testing::list_dir(dir / "a.hfb"), testing::list_dir(dir / "b.hfb"));
  for (const std::string& f : testing::list_dir(dir / "a.hfb")) {
    if (f != "manifest.pb") {
      EXPECT_EQ(testing::read_all(dir / ("a.hfb/" + f)), testing::read_all(dir / ("b.hfb/" + f))) << f;
    }
  }
  EXPECT_EQ(manifest_without_command_line(dir / "a.hfb").SerializeAsString(),
            manifest_without_command_line(dir / "b.hfb").SerializeAsString());
  auto json = run_cli("inspect " + dir / "a.hfb" + " --json");
  EXPECT_NE(json.out.find("\"rule\":\"chunk-type\""), std::string::npos);
  EXPECT_EQ(json.out.find("\"rule\":\"tensor-type\""), std::string::npos);
}

TEST(RecipeCli, RecipeRefusesOtherPolicyFlagsAndBadFiles) {
  ScratchDir dir;
  testing::write_all(dir / "r.json", R"({"hfbundle_recipe": 1, "quant": "int8"})");
  EXPECT_EQ(run_cli("convert " + kSample + " --dry-run --recipe " + dir / "r.json" + " --quant q4_0").exit_code, 2);
  EXPECT_EQ(run_cli("convert " + kSample + " --dry-run --recipe " + dir / "r.json" + " --chunks 3").exit_code, 2);
  EXPECT_EQ(run_cli("convert " + kSample + " --dry-run --recipe " + dir / "r.json").exit_code, 0);
  testing::write_all(dir / "bad.json", R"({"hfbundle_recipe": 1, "quant": "int8", "chunk_typs": {}})");
  EXPECT_EQ(run_cli("convert " + kSample + " --dry-run --recipe " + dir / "bad.json").exit_code, 2);
  EXPECT_EQ(run_cli("convert " + kSample + " --dry-run --recipe " + dir / "missing.json").exit_code, 2);
  EXPECT_EQ(run_cli("convert " + kSample + " --dry-run --quant q4_0 --chunk-type decoder.9=int8").exit_code, 2);
  EXPECT_EQ(run_cli("convert " + kSample + " --dry-run --quant q4_0 --chunk-type decoder.0:attn_qq=int8").exit_code, 2);
  testing::write_all(dir / "badrole.json", R"({"hfbundle_recipe": 1, "quant": "int8", "chunk_types": {"decoder.0:x": "none"}})");
  EXPECT_EQ(run_cli("convert " + kSample + " --dry-run --recipe " + dir / "badrole.json").exit_code, 2);
  auto by_role = run_cli("convert " + kSample + " --dry-run --quant q4_0 --chunk-type decoder.0=int8 --chunk-type decoder.0:mlp_up=q8_0");
  EXPECT_EQ(by_role.exit_code, 0);
  EXPECT_NE(by_role.out.find("[chunk-type] --chunk-type decoder.0:mlp_up=q8_0"), std::string::npos) << by_role.out;
  EXPECT_NE(by_role.out.find("[chunk-type] --chunk-type decoder.0=int8"), std::string::npos) << by_role.out;
  auto dry = run_cli("convert " + kSample + " --dry-run --quant q4_0 --chunk-type decoder.0=int8");
  EXPECT_EQ(dry.exit_code, 0);
  EXPECT_NE(dry.out.find("[chunk-type] --chunk-type decoder.0=int8"), std::string::npos) << dry.out;
}

TEST(RequantCli, ResultPassesVerifyAndChecksums) {
  ScratchDir dir;
  const std::string a = dir / "a.hfb";
  ASSERT_EQ(run_cli("convert " + kSample + " -o " + a + " --chunk-type decoder.0=int8 --chunks 2 --quiet").exit_code, 0);
  // decoder.0 back to float: the bundle is float throughout again, so the golden parity must hold exactly.
  auto r = run_cli("requant " + a + " --chunk decoder.0 --quant none --source " + kSample);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("files rewritten:"), std::string::npos) << r.out;
  EXPECT_EQ(run_cli("inspect " + a + " --check").exit_code, 0);
  EXPECT_EQ(run_cli("verify " + a + " --golden " + kSample).exit_code, 0);
  auto recipe = run_cli("inspect " + a + " --recipe");
  EXPECT_NE(recipe.out.find("\"decoder.0\": \"none\""), std::string::npos) << recipe.out;
}

TEST(RequantCli, CrashBeforeTheRenameLeavesTheOldBundleIntact) {
  ScratchDir dir;
  const std::string a = dir / "a.hfb";
  ASSERT_EQ(run_cli("convert " + kSample + " -o " + a + " --quant q4_0 --chunks 2 --quiet").exit_code, 0);
  const std::string manifest = testing::read_all(a + "/manifest.pb");
  auto crashed = run_cli("requant " + a + " --chunk decoder.1 --quant int8 --source " + kSample +
                         " 2>/dev/null; echo; HFB_TEST_REQUANT_DIE_BEFORE_RENAME=1 " + HFB_CLI_PATH + " requant " + a +
                         " --chunk decoder.1 --quant int8 --source " + kSample);
  EXPECT_EQ(crashed.exit_code, 42);
  // The first (normal) requant went through; the second died before its rename: the bundle is the first's result.
  EXPECT_NE(testing::read_all(a + "/manifest.pb"), manifest);
  const std::string after_first = testing::read_all(a + "/manifest.pb");
  EXPECT_EQ(run_cli("inspect " + a + " --check").exit_code, 0);
  bool temp_left = false;
  for (const std::string& n : testing::list_dir(dir.path())) temp_left = temp_left || n.find(".tmp-") != std::string::npos;
  EXPECT_TRUE(temp_left);  // what the crash left; the next write removes it
  ASSERT_EQ(run_cli("requant " + a + " --chunk decoder.1 --quant int8 --source " + kSample + " --quiet").exit_code, 0);
  EXPECT_EQ(testing::read_all(a + "/manifest.pb"), after_first);  // same recipe: the same bundle again
  temp_left = false;
  for (const std::string& n : testing::list_dir(dir.path())) temp_left = temp_left || n.find(".tmp-") != std::string::npos;
  EXPECT_FALSE(temp_left);
}

TEST(RequantCli, RefusalsExitWithBadInput) {
  ScratchDir dir;
  const std::string a = dir / "a.hfb";
  ASSERT_EQ(run_cli("convert " + kSample + " -o " + a + " --quant q4_0 --quiet").exit_code, 0);
  EXPECT_EQ(run_cli("requant " + a + " --chunk decoder.9 --quant int8 --source " + kSample).exit_code, 2);
  EXPECT_EQ(run_cli("requant " + a + " --chunk decoder.0 --quant int3 --source " + kSample).exit_code, 2);
  ASSERT_EQ(run_cli("convert " + kSample + " -o " + dir / "z.hfb.zip" + " --quant q4_0 --quiet").exit_code, 0);
  EXPECT_EQ(run_cli("requant " + dir / "z.hfb.zip" + " --chunk decoder.0 --quant int8 --source " + kSample).exit_code, 2);
}

}  // namespace
}  // namespace hfb
