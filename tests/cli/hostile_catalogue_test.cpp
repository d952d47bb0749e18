// The hostile-input catalogue (issue #16, ../shared/docs/reliability-findings.md F1-F17): every case runs the
// real binary and must end with its exit code (docs/limits.md, README "Exit codes"), exactly one stderr line
// naming what was wrong, within 10 s, never by a signal. HostileCatalogue runs each case with a 60 s timeout
// (also under the sanitizers); HostileCatalogueNoSanitizer runs the same cases under `ulimit -v` (1.5 GiB) and
// `timeout 10`: the bounded-memory proof, plain build only (ASan reserves terabytes of address space).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/cli/hostile_inputs.h"
#include "tests/writers/bundle_test_util.h"

namespace hfb {
namespace {

using testing::HostileRun;

const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";
const std::string kGateProj = "model.layers.0.mlp.gate_proj.weight";

/// Shared inputs, built once per test binary run: converted bundles and edited checkpoints.
class World {
 public:
  static World& get() {
    static World world;
    return world;
  }
  std::string operator/(const std::string& name) const { return scratch_ / name; }

  /// A copy of the sample checkpoint named `name` (made on first use), edited by `edit`.
  std::string checkpoint(const std::string& name, const std::function<void(const std::string&)>& edit = {}) {
    const std::string dir = scratch_ / name;
    if (!std::filesystem::exists(dir)) {
      testing::copy_dir(kSample, dir);
      if (edit) edit(dir);
    }
    return dir;
  }
  /// `convert SOURCE -o name FLAGS` (made on first use), then `edit` of the bundle directory.
  std::string bundle(const std::string& name, const std::string& source, const std::string& flags,
                     const std::function<void(const std::string&)>& edit = {}) {
    const std::string out = scratch_ / name;
    if (!std::filesystem::exists(out)) {
      auto r = testing::run_bounded("convert " + source + " -o " + out + " --quiet " + flags, 120, 0);
      EXPECT_EQ(r.exit_code, 0) << r.err;
      if (edit) edit(out);
    }
    return out;
  }

 private:
  World() = default;
  testing::ScratchDir scratch_;
};

std::string bundle_q4() { return World::get().bundle("q4.hfb", kSample, "--quant q4_0"); }

/// q4_0 bundle with one byte of chunk_01.bin flipped; each case builds it itself (ctest runs every case in its
/// own process, so no case may rely on another having made it).
std::string bundle_flipped() {
  return World::get().bundle("flip.hfb", kSample, "--quant q4_0",
                             [](const std::string& dir) { testing::flip_byte(dir + "/chunk_01.bin", 100); });
}

std::string with_weight(const std::string& name, float value) {
  return World::get().checkpoint(name, [value](const std::string& dir) {
    ASSERT_TRUE(testing::set_weight(dir + "/model.safetensors", kGateProj, 5, 7, value));
  });
}

/// Edits every copy of node `node` (text graph and chunk lists) of a bundle.
void edit_node(const std::string& bundle, const std::string& node, const std::function<void(bundle::Node&)>& edit) {
  ASSERT_TRUE(testing::edit_manifest(bundle, [&](bundle::Manifest& m) {
    for (auto& n : *m.mutable_text_graph()->mutable_nodes()) {
      if (n.name() == node) edit(n);
    }
    for (auto& c : *m.mutable_chunks()) {
      for (auto& n : *c.mutable_graph()->mutable_nodes()) {
        if (n.name() == node) edit(n);
      }
    }
  }));
}

void set_first_zstd_raw_size(bundle::Manifest& m, uint64_t raw_size) {
  for (auto& f : *m.mutable_files()) {
    if (f.compression() != bundle::COMPRESSION_ZSTD) continue;
    f.set_raw_size(raw_size);
    return;
  }
  ADD_FAILURE() << "no zstd file in the manifest";
}

struct Case {
  const char* name;                         ///< finding and what
  std::function<std::string()> args;        ///< builds the inputs, returns the command line
  int exit_code;                            ///< expected
  const char* says;                         ///< a substring the one stderr line must hold ("" for exit 0)
};

std::string fifo_checkpoint(const std::string& name, const std::string& file) {
  return World::get().checkpoint(name, [file](const std::string& dir) {
    std::filesystem::remove(dir + "/" + file);
    ASSERT_EQ(::mkfifo((dir + "/" + file).c_str(), 0644), 0);
  });
}

const std::vector<Case>& cases() {
  static const std::vector<Case> list = {
      // F1: every scheme refuses NaN/Inf (row and column named); q4_0/q8_0 refuse f16 scale overflow.
      {"F1_q4_0_nan", [] { return "convert " + with_weight("ck-nan", NAN) + " -o " + World::get() / "o1.hfb" + " --quant q4_0"; }, 2, "row 5, column 7"},
      {"F1_q8_0_inf", [] { return "convert " + with_weight("ck-inf", INFINITY) + " -o " + World::get() / "o2.hfb" + " --quant q8_0"; }, 2, "non-finite weight"},
      {"F1_none_inf", [] { return "convert " + with_weight("ck-inf", INFINITY) + " -o " + World::get() / "o3.hfb"; }, 2, "non-finite weight"},
      {"F1_int8_nan", [] { return "convert " + with_weight("ck-nan", NAN) + " -o " + World::get() / "o4.hfb" + " --quant int8"; }, 2, "row 5, column 7"},
      {"F1_q4_0_scale_overflow", [] { return "convert " + with_weight("ck-big", 1e6f) + " -o " + World::get() / "o5.hfb" + " --quant q4_0"; }, 2, "f16"},
      {"F1_q8_0_scale_overflow", [] { return "convert " + with_weight("ck-huge", 3.3e38f) + " -o " + World::get() / "o6.hfb" + " --quant q8_0"; }, 2, "f16"},
      // F2: non-finite logits are a failed check naming the step; a NaN attribute is refused.
      {"F2_nan_logits", [] {
         const std::string b = World::get().bundle("big.hfb", with_weight("ck-big", 1e6f), "--quant q4_0 --allow-nonfinite");
         return "run " + b + " --prompt-ids 2,17,5 -n 4"; }, 1, "step 0"},
      // ... and name the first non-finite value of that step (rerun with every op output checked).
      {"F2_nan_weight_names_first_value", [] {
         return "run " + with_weight("ck-nan", NAN) + " --prompt-ids 2,17,5 -n 2"; }, 1,
       "'l0.mlp_gate' (linear) is NaN at row 0 element 5; it reads the weights 'model.layers.0.mlp.gate_proj.weight'"},
      {"F2_nan_logits_bundle_names_chunk", [] {
         const std::string b = World::get().bundle("big.hfb", with_weight("ck-big", 1e6f), "--quant q4_0 --allow-nonfinite");
         return "run " + b + " --prompt-ids 2,17,5 -n 2"; }, 1, "in chunk decoder.0: 'l0.mlp_gate' (linear) is NaN"},
      {"F2_nan_attribute", [] {
         const std::string b = World::get().bundle("na.hfb", kSample, "--quant q4_0", [](const std::string& dir) {
           ASSERT_TRUE(testing::edit_manifest(dir, [](bundle::Manifest& m) {
             for (auto& n : *m.mutable_text_graph()->mutable_nodes()) {
               for (auto& a : *n.mutable_attributes()) if (a.name() == "eps") a.set_f(NAN);
             }
           }));
         });
         return "run " + b + " --prompt-ids 2,17,5 -n 2"; }, 2, "not finite"},
      // F3: a flipped byte is a failed checksum for run and verify; --no-check skips it.
      {"F3_flipped_byte_run", [] { return "run " + bundle_flipped() + " --prompt-ids 2,17,5 -n 4"; }, 1, "checksum"},
      {"F3_flipped_byte_verify", [] { return "verify " + bundle_flipped() + " --golden " + kSample; }, 1, "checksum"},
      {"F3_flipped_byte_no_check", [] { return "run " + bundle_flipped() + " --prompt-ids 2,17,5 -n 1 --no-check"; }, 0, ""},
      {"F3_zip_crc", [] {
         const std::string z = World::get() / "crc.hfb.zip";
         if (!std::filesystem::exists(z)) {
           auto r = testing::run_bounded("convert " + kSample + " -o " + z + " --zip --quant int8 --quiet", 120, 0);
           EXPECT_EQ(r.exit_code, 0) << r.err;
           const size_t at = testing::zip_entry_data_offset(testing::slurp(z), "chunk_01.bin");
           EXPECT_NE(at, std::string::npos);
           testing::flip_byte(z, at + 200);
         }
         return "inspect " + z; }, 1, "CRC-32"},
      // F4: compressed sizes are bounded before anything is allocated.
      {"F4_zstd_raw_size_lie", [] {
         const std::string b = World::get().bundle("z3.hfb", kSample, "--zstd 3 --quant q8_0", [](const std::string& dir) {
           ASSERT_TRUE(testing::edit_manifest(dir, [](bundle::Manifest& m) {
             set_first_zstd_raw_size(m, 3000000000ull);
           }));
         });
         return "inspect " + b; }, 2, "limit"},
      {"F4_zstd_raw_size_2_40", [] {
         const std::string b = World::get().bundle("z40.hfb", kSample, "--zstd 3 --quant q8_0", [](const std::string& dir) {
           ASSERT_TRUE(testing::edit_manifest(dir, [](bundle::Manifest& m) {
             set_first_zstd_raw_size(m, (1ull << 40) - 1);
           }));
         });
         return "run " + b + " --prompt-ids 2 -n 1"; }, 2, "limit"},
      // F5: the KV cache grows with the sequence; window limits.
      {"F5_sliding_window_1e7", [] {
         const std::string ck = World::get().checkpoint("ck-w", [](const std::string& dir) {
           ASSERT_TRUE(testing::replace_in_file(dir + "/config.json", "\"sliding_window\": 8", "\"sliding_window\": 10000000"));
         });
         return "run " + ck + " --prompt-ids 2,17,5 -n 4"; }, 0, ""},
      {"F5_sliding_window_2_31", [] {
         const std::string ck = World::get().checkpoint("ck-w31", [](const std::string& dir) {
           ASSERT_TRUE(testing::replace_in_file(dir + "/config.json", "\"sliding_window\": 8", "\"sliding_window\": 2147483647"));
         });
         return "run " + ck + " --prompt-ids 2,17,5 -n 4"; }, 2, "sliding_window"},
      {"F5_bundle_window_1e8", [] {
         const std::string b = World::get().bundle("sw.hfb", kSample, "--quant q4_0", [](const std::string& dir) {
           ASSERT_TRUE(testing::edit_manifest(dir, [](bundle::Manifest& m) {
             for (auto& s : *m.mutable_text_graph()->mutable_states()) if (s.window() > 0) s.set_window(100000000);
           }));
         });
         return "run " + b + " --prompt-ids 2,17,5 -n 2"; }, 2, "limit"},
      // F6: layer counts are limited before per-layer structures are built.
      {"F6_layers_1e6", [] {
         const std::string ck = World::get().checkpoint("ck-l", [](const std::string& dir) {
           ASSERT_TRUE(testing::replace_in_file(dir + "/config.json", "\"num_hidden_layers\": 4", "\"num_hidden_layers\": 1000000"));
         });
         return "inspect " + ck; }, 2, "num_hidden_layers"},
      // F8: FIFOs are refused without blocking.
      {"F8_fifo_config", [] { return "inspect " + fifo_checkpoint("ck-fifo1", "config.json"); }, 2, "not a regular file"},
      {"F8_fifo_shard", [] { return "inspect " + fifo_checkpoint("ck-fifo2", "model.safetensors"); }, 2, "not a regular file"},
      {"F8_fifo_generation_config", [] { return "run " + fifo_checkpoint("ck-fifo3", "generation_config.json") + " --prompt-ids 2 -n 1"; }, 2, "not a regular file"},
      {"F8_fifo_convert", [] { return "convert " + fifo_checkpoint("ck-fifo1", "config.json") + " -o " + World::get() / "o8.hfb"; }, 2, "not a regular file"},
      // F9: --force replaces bundles only, never the source or another directory.
      {"F9_force_onto_source", [] {
         const std::string ck = World::get().checkpoint("ck-src");
         return "convert " + ck + " -o " + ck + " --force"; }, 2, "source checkpoint"},
      {"F9_force_onto_directory", [] {
         std::filesystem::create_directories(World::get() / "notes");
         testing::spit(World::get() / "notes/todo.txt", "precious");
         return "convert " + kSample + " -o " + World::get() / "notes" + " --force"; }, 2, "not a bundle"},
      {"F9_force_zip_onto_file", [] {
         testing::spit(World::get() / "f.txt", "precious");
         return "convert " + kSample + " -o " + World::get() / "f.txt" + " --zip --force"; }, 2, "not a zip bundle"},
      // F11: side outputs are checked before the bundle is published.
      {"F11_coverage_unwritable", [] {
         return "convert " + kSample + " -o " + World::get() / "cov.hfb" + " --quant q4_0 --coverage /nonexistent/dir/cov.json"; }, 2, "--coverage"},
      // F13: a header listing too many tensors is refused before the DOM is built.
      {"F13_many_tensors", [] {
         const std::string ck = World::get().checkpoint("ck-many", [](const std::string& dir) {
           std::string header = "{";
           for (int i = 0; i < 140000; ++i) header += "\"z" + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},";
           header.back() = '}';
           while (header.size() % 8) header += ' ';
           std::string bytes(8, '\0');
           const uint64_t n = header.size();
           std::memcpy(&bytes[0], &n, 8);
           testing::spit(dir + "/model.safetensors", bytes + header);
         });
         return "inspect " + ck; }, 2, "entries"},
      // F14: prompt counts and prompt files are bounded.
      {"F14_random_prompts", [] { return "verify " + bundle_q4() + " --against " + kSample + " --random-prompts 2000000000 --steps 1"; }, 2, "limit"},
      {"F14_prompt_file_dev_zero", [] { return "verify " + bundle_q4() + " --against " + kSample + " --prompt-ids-file /dev/zero"; }, 2, "not a regular file"},
      // F15: libprotobuf's own log line is silenced: one line per error.
      {"F15_manifest_invalid_utf8", [] {
         const std::string b = World::get().bundle("utf.hfb", kSample, "--quant q4_0", [](const std::string& dir) {
           ASSERT_TRUE(testing::edit_manifest(dir, [](bundle::Manifest& m) { m.set_producer("hfbundle"); }));
           ASSERT_TRUE(testing::replace_in_file(dir + "/manifest.pb", "hfbundle", std::string("hfbundl\xff", 8)));
         });
         return "inspect " + b; }, 2, "manifest.pb"},
      // F16: regexes that backtrack exponentially are refused.
      {"F16_nested_quantifier", [] {
         return "convert " + kSample + " -o " + World::get() / "o16.hfb" + " --dry-run --tensor-type '^(([a-z.0-9_])+)+X$=int8'"; }, 2, "quantified group"},
      // F17: a reshape whose shape product overflows int64 is refused ("overflow").
      {"F17_reshape_overflow", [] {
         const std::string b = World::get().bundle("rw.hfb", kSample, "--quant q4_0", [](const std::string& dir) {
           edit_node(dir, "ple.projected_split", [](bundle::Node& n) {
             for (auto& a : *n.mutable_attributes()) {
               if (a.name() != "shape") continue;
               auto* v = a.mutable_ints()->mutable_values();
               v->Clear();
               for (int64_t d : {int64_t{-1}, int64_t{5}, int64_t{3689348814741910336}}) v->Add(d);
             }
           });
         });
         return "run " + b + " --prompt-ids 2,17,5 -n 2"; }, 2, "overflow"},
  };
  return list;
}

int count_lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

void check_case(const Case& c, int timeout_seconds, long address_space_kb) {
  const std::string args = c.args();
  HostileRun r = testing::run_bounded(args, timeout_seconds, address_space_kb);
  SCOPED_TRACE(std::string(c.name) + ": hfbundle " + args);
  EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
  EXPECT_LT(r.seconds, 10.0) << "no hang";
  if (c.exit_code != 0) {
    EXPECT_EQ(count_lines(r.err), 1) << "one line on stderr: " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(r.err.rfind("hfbundle: ", 0), 0u) << r.err;
  }
}

class HostileCatalogue : public ::testing::TestWithParam<size_t> {};
class HostileCatalogueNoSanitizer : public ::testing::TestWithParam<size_t> {};

TEST_P(HostileCatalogue, EndsWithItsExitCodeAndOneLine) { check_case(cases()[GetParam()], 60, 0); }

TEST_P(HostileCatalogueNoSanitizer, BoundedTimeAndMemory) {
  check_case(cases()[GetParam()], 10, 1536L * 1024);  // 4 x a few MB of input + 512 MB, rounded up for BLAS
}

std::string case_name(const ::testing::TestParamInfo<size_t>& info) { return cases()[info.param].name; }

INSTANTIATE_TEST_SUITE_P(Findings, HostileCatalogue, ::testing::Range<size_t>(0, cases().size()), case_name);
INSTANTIATE_TEST_SUITE_P(Findings, HostileCatalogueNoSanitizer, ::testing::Range<size_t>(0, cases().size()), case_name);

TEST(HostileZip, DeflatedEntriesAreRefusedBeforeAllocating) {
  // F4 (zip bomb): bundle zips store entries; a deflated one is refused whatever size it declares.
  if (std::system("command -v zip > /dev/null && command -v unzip > /dev/null") != 0) {
    GTEST_SKIP() << "needs the zip and unzip tools to build a deflated zip";
  }
  testing::ScratchDir scratch;
  auto made = testing::run_bounded("convert " + kSample + " -o " + scratch / "s.hfb.zip --zip --quant q4_0 --quiet", 60, 0);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string rezip = "cd " + scratch.path() + " && mkdir x && cd x && unzip -q ../s.hfb.zip && zip -q -9 ../d.hfb.zip *";
  ASSERT_EQ(std::system(rezip.c_str()), 0);
  auto r = testing::run_bounded("inspect " + scratch / "d.hfb.zip", 60, 0);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("compressed"), std::string::npos) << r.err;
}

TEST(HostileOutputs, ForceRefusalsLeaveEverythingInPlace) {
  testing::ScratchDir scratch;
  testing::copy_dir(kSample, scratch / "ck");
  auto onto_source = testing::run_bounded("convert " + scratch / "ck" + " -o " + scratch / "ck" + " --force", 60, 0);
  EXPECT_EQ(onto_source.exit_code, 2) << onto_source.err;
  EXPECT_TRUE(std::filesystem::exists(scratch / "ck/model.safetensors"));
  std::filesystem::create_directories(scratch / "notes");
  testing::spit(scratch / "notes/todo.txt", "precious");
  auto onto_dir = testing::run_bounded("convert " + kSample + " -o " + scratch / "notes" + " --force", 60, 0);
  EXPECT_EQ(onto_dir.exit_code, 2) << onto_dir.err;
  EXPECT_EQ(testing::slurp(scratch / "notes/todo.txt"), "precious");
  // A bundle is still replaced with --force (and the temp dir carried the pid: nothing is left behind).
  auto first = testing::run_bounded("convert " + kSample + " -o " + scratch / "b.hfb --quiet", 60, 0);
  auto again = testing::run_bounded("convert " + kSample + " -o " + scratch / "b.hfb --quiet --force --quant q8_0", 60, 0);
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(again.exit_code, 0) << again.err;
  auto cov = testing::run_bounded("convert " + kSample + " -o " + scratch / "cov.hfb --coverage /nonexistent/c.json", 60, 0);
  EXPECT_EQ(cov.exit_code, 2) << cov.err;
  EXPECT_FALSE(std::filesystem::exists(scratch / "cov.hfb")) << "nothing published before the side output failed";
  for (const auto& name : testing::list_dir(scratch.path())) EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;
}

}  // namespace
}  // namespace hfb
