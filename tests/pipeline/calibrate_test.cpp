// Calibrated quantization end to end on the trained fixture: statistics collected on one half of eval.txt,
// bundles evaluated teacher-forced on the other half of eval-ids.txt against the float32 checkpoint (mean
// KL(ref || ours) over every position). Calibrated kmeans4 and int4 per block must beat their uncalibrated
// versions at the same size; q4_0 stays byte-identical; bytes do not depend on threads; stats reload exactly.
#include <dirent.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "models/load_checkpoint.h"
#include "pipeline/calibrate.h"
#include "pipeline/convert.h"
#include "pipeline/bundle_inspect.h"
#include "pipeline/open_model.h"
#include "quant/scheme.h"
#include "readers/prompt_ids.h"
#include "tests/writers/bundle_test_util.h"
#include "validators/golden_record.h"
#include "writers/imatrix_writer.h"

namespace hfb {
namespace {

using testing::ScratchDir;

const std::string kTrained = std::string(HFB_FIXTURES_DIR) + "/gemma4/text-trained";

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

/// One half of eval.txt's lines (0: the first, 1: the second), written to `path` (the calibration text).
void write_calibration_half(const std::string& path, int half = 0) {
  const std::vector<std::string> lines = read_lines(kTrained + "/eval.txt");
  ASSERT_EQ(lines.size(), 32u);
  std::ofstream out(path);
  for (size_t i = 0; i < lines.size() / 2; ++i) out << lines[i + half * lines.size() / 2] << "\n";
}

/// The other half of eval-ids.txt (held out from write_calibration_half(half)'s text).
std::vector<std::vector<int64_t>> held_out_ids(int half = 0) {
  const std::vector<std::string> lines = read_lines(kTrained + "/eval-ids.txt");
  std::string text;
  const size_t begin = half == 0 ? lines.size() / 2 : 0;
  for (size_t i = begin; i < begin + lines.size() / 2; ++i) text += lines[i] + "\n";
  auto parsed = parse_prompt_lines(text);
  EXPECT_TRUE(parsed.ok());
  return parsed.ok() ? *parsed : std::vector<std::vector<int64_t>>{};
}

std::map<std::string, std::string> files_of(const std::string& dir) {
  std::map<std::string, std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::ifstream in(dir + "/" + name, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    out[name] = bytes.str();
  }
  ::closedir(d);
  return out;
}

ConvertOptions convert_options(Scheme scheme, int64_t block, const std::string& out) {
  ConvertOptions o;
  o.source = kTrained;
  o.out = out;
  o.quant.global = scheme;
  o.quant.params.block_size = block;
  return o;
}

std::string convert_ok(const ConvertOptions& options) {
  auto result = convert_checkpoint(options);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  return result.ok() ? result->out : "";
}

/// Mean over every position of KL(reference || model) of the next-token distributions, in nats.
double mean_kl(const std::string& model_path, const std::vector<std::vector<int64_t>>& sequences) {
  auto ref = open_model_session(kTrained);
  auto ours = open_model_session(model_path);
  EXPECT_TRUE(ref.ok() && ours.ok());
  if (!ref.ok() || !ours.ok()) return 1e9;
  double total = 0;
  int64_t positions = 0;
  for (const auto& ids : sequences) {
    auto p = ref->session->prefill(ids, nullptr, nullptr);
    auto q = ours->session->prefill(ids, nullptr, nullptr);
    EXPECT_TRUE(p.ok() && q.ok());
    if (!p.ok() || !q.ok()) return 1e9;
    for (int64_t r = 0; r < p->rows; ++r, ++positions) {
      const float* a = p->row(r);
      const float* b = q->row(r);
      double ma = a[0], mb = b[0];
      for (int64_t v = 0; v < p->cols; ++v) {
        ma = std::max(ma, static_cast<double>(a[v]));
        mb = std::max(mb, static_cast<double>(b[v]));
      }
      double za = 0, zb = 0;
      for (int64_t v = 0; v < p->cols; ++v) {
        za += std::exp(a[v] - ma);
        zb += std::exp(b[v] - mb);
      }
      double kl = 0;
      for (int64_t v = 0; v < p->cols; ++v) {
        const double la = a[v] - ma - std::log(za), lb = b[v] - mb - std::log(zb);
        kl += std::exp(la) * (la - lb);
      }
      total += kl;
    }
  }
  return total / static_cast<double>(positions);
}

/// A scratch directory holding the calibration half of eval.txt.
class Calibrate : public ::testing::Test {
 protected:
  void SetUp() override { write_calibration_half(calibration_); }
  /// convert_options calibrated on the first half of eval.txt.
  ConvertOptions calibrated(Scheme scheme, int64_t block, const std::string& out) const {
    ConvertOptions o = convert_options(scheme, block, out);
    o.calibration.text_file = calibration_;
    return o;
  }
  ScratchDir dir_;
  const std::string calibration_ = dir_ / "calibration.txt";
};

TEST(CalibrateCollect, CollectsEveryTextLinearDeterministically) {
  auto model = load_checkpoint(kTrained);
  ASSERT_TRUE(model.ok());
  const std::vector<std::vector<int64_t>> sequences = held_out_ids();
  ThreadPool::set_global_threads(1);
  auto one = collect_imatrix(*model, sequences, 512);
  ThreadPool::set_global_threads(3);
  auto three = collect_imatrix(*model, sequences, 100);  // windows: 100 + 28 tokens per sequence
  auto three_again = collect_imatrix(*model, sequences, 512);
  ThreadPool::set_global_threads(ThreadPool::available_cores());
  ASSERT_TRUE(one.ok() && three.ok() && three_again.ok()) << one.error().to_string();
  EXPECT_EQ(encode_imatrix(*one), encode_imatrix(*three_again));  // any thread count: same bytes
  EXPECT_EQ(one->sequences, 16);
  EXPECT_EQ(one->tokens, 16 * 128);
  EXPECT_EQ(three->tokens, 16 * 128);
  // Every decoder layer's projections (q/k/v/o, gate/up/down) and the tied head have statistics.
  for (const char* name : {"model.layers.0.self_attn.q_proj.weight", "model.layers.5.mlp.down_proj.weight",
                           "model.embed_tokens.weight"}) {
    ASSERT_TRUE(one->entries.count(name)) << name;
    EXPECT_EQ(one->entries.at(name).count, 16 * 128) << name;
  }
  EXPECT_TRUE(check_imatrix_matches(*one, model->tensors).ok());
}

// Both ways round: calibrated on the first half of eval.txt and evaluated on the second half of eval-ids.txt, and
// the reverse, so the gain is not one split's luck.
TEST_F(Calibrate, CalibratedBeatsUncalibratedOnHeldOutText) {
  struct Setup {
    Scheme scheme;
    int64_t block;
  };
  for (const Setup& s : {Setup{Scheme::kKmeans4, 0}, Setup{Scheme::kInt4, 32}}) {
    const std::string name(scheme_name(s.scheme));
    auto a = convert_checkpoint(convert_options(s.scheme, s.block, dir_ / (name + "-plain.hfb")));
    ASSERT_TRUE(a.ok());
    for (int half : {0, 1}) {
      const auto held_out = held_out_ids(half);
      ASSERT_EQ(held_out.size(), 16u);
      write_calibration_half(calibration_, half);
      const std::string out = dir_ / (name + "-calibrated-" + std::to_string(half) + ".hfb");
      auto b = convert_checkpoint(calibrated(s.scheme, s.block, out));
      ASSERT_TRUE(b.ok());
      EXPECT_EQ(a->tensor_bytes, b->tensor_bytes) << name;  // the same size
      const double kl_plain = mean_kl(a->out, held_out);
      const double kl_calibrated = mean_kl(b->out, held_out);
      std::printf("%s, calibrated on half %d: mean KL uncalibrated %.4g, calibrated %.4g\n", name.c_str(), half + 1,
                  kl_plain, kl_calibrated);
      EXPECT_LT(kl_calibrated, kl_plain) << name << " half " << half;
    }
  }
}

/// Every scheme tensor of a bundle, encoded as stored, by name.
std::map<std::string, EncodedTensor> encoded_tensors(const std::string& bundle_path) {
  std::map<std::string, EncodedTensor> out;
  auto bundle = Bundle::open(bundle_path);
  EXPECT_TRUE(bundle.ok()) << bundle.error().to_string();
  if (!bundle.ok()) return out;
  for (const BundleTensor& t : (*bundle)->tensors()) {
    if (t.scheme.empty()) continue;
    auto enc = bundle_tensor_to_encoded(t);
    EXPECT_TRUE(enc.ok()) << t.info.name;
    if (enc.ok()) out.emplace(t.info.name, std::move(enc).value());
  }
  return out;
}

bool same_encoding(const EncodedTensor& a, const EncodedTensor& b) {
  return a.scheme == b.scheme && a.codes == b.codes && a.scales == b.scales && a.lut == b.lut;
}

// An uncalibrated convert is plain quantize() of every tensor (no weighting anywhere, also not the int8 per-row
// tables that calibration now searches); a calibrated q4_0 convert keeps every q4_0 tensor bit-exact and changes
// only tensors whose scheme has a free choice and which have statistics (the tied int8 embedding / head).
TEST_F(Calibrate, CalibrationChangesOnlyWhatTheUserAskedFor) {
  const std::string plain = convert_ok(convert_options(Scheme::kQ4_0, 0, dir_ / "plain.hfb"));
  const std::string with_stats = convert_ok(calibrated(Scheme::kQ4_0, 0, dir_ / "calibrated.hfb"));
  const auto a = encoded_tensors(plain), b = encoded_tensors(with_stats);
  auto model = load_checkpoint(kTrained);
  ASSERT_TRUE(model.ok());
  ASSERT_EQ(a.size(), b.size());
  int q4 = 0, int8_plain = 0, int8_changed = 0;
  for (const auto& [name, enc] : a) {
    const TensorInfo* info = model->tensors.find(name);
    ASSERT_NE(info, nullptr) << name;
    auto reference = quantize(enc.scheme, *info, enc.params);
    ASSERT_TRUE(reference.ok()) << name;
    EXPECT_TRUE(same_encoding(enc, *reference)) << name << ": the uncalibrated bundle is not plain " << scheme_name(enc.scheme);
    const EncodedTensor& other = b.at(name);
    if (enc.scheme == Scheme::kQ4_0 || enc.scheme == Scheme::kQ8_0) {
      ++q4;
      EXPECT_TRUE(same_encoding(enc, other)) << name << ": a ggml format changed under calibration";
    } else if (enc.scheme == Scheme::kInt8) {
      ++int8_plain;
      int8_changed += same_encoding(enc, other) ? 0 : 1;
    }
  }
  EXPECT_GT(q4, 30);
  EXPECT_GE(int8_plain, 1);
  EXPECT_GE(int8_changed, 1);  // the tied embedding / head has statistics (the head linear's input)
}

TEST_F(Calibrate, SameBytesAnyThreadCountAndFromSavedStatistics) {
  ConvertOptions one = calibrated(Scheme::kKmeans4, 0, dir_ / "one.hfb");
  one.calibration.save_file = dir_ / "stats.imatrix";
  one.quant.params.num_threads = 1;
  ConvertOptions three = one;
  three.out = dir_ / "three.hfb";
  three.calibration.save_file.clear();
  three.quant.params.num_threads = 3;
  ConvertOptions reused = three;
  reused.out = dir_ / "reused.hfb";
  reused.calibration.text_file.clear();
  reused.calibration.imatrix_file = dir_ / "stats.imatrix";
  const auto a = files_of(convert_ok(one));
  const auto b = files_of(convert_ok(three));
  const auto c = files_of(convert_ok(reused));
  ASSERT_GT(a.size(), 3u);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
}

TEST(CalibrateOptions, RefusesStatisticsOfAnotherModelAndBadCombinations) {
  ScratchDir dir;
  ConvertOptions save = convert_options(Scheme::kInt4, 32, "");
  save.dry_run = true;
  save.calibration.ids_file = kTrained + "/eval-ids.txt";
  save.calibration.save_file = dir / "stats.imatrix";
  ASSERT_TRUE(convert_checkpoint(save).ok());
  ConvertOptions other = convert_options(Scheme::kInt4, 32, "");
  other.dry_run = true;
  other.source = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";
  other.calibration.imatrix_file = dir / "stats.imatrix";
  auto refused = convert_checkpoint(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  const std::string text = refused.error().to_string();
  EXPECT_NE(text.find("another model"), std::string::npos) << text;
  EXPECT_NE(text.find("stats.imatrix"), std::string::npos) << text;
  ConvertOptions both = save;
  both.calibration.imatrix_file = dir / "stats.imatrix";
  EXPECT_EQ(convert_checkpoint(both).error().code, ErrorCode::kInvalidArgument);
  ConvertOptions save_only = convert_options(Scheme::kInt4, 32, "");
  save_only.dry_run = true;
  save_only.calibration.save_file = dir / "x.imatrix";
  EXPECT_EQ(convert_checkpoint(save_only).error().code, ErrorCode::kInvalidArgument);
}

TEST(CalibrateOptions, CoverageSaysWhichTensorsWereCalibrated) {
  ConvertOptions o = convert_options(Scheme::kInt4, 32, "");
  o.dry_run = true;
  o.calibration.ids_file = kTrained + "/eval-ids.txt";
  auto result = convert_checkpoint(o);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  int calibrated = 0;
  for (const CoverageEntry& e : result->coverage.entries) {
    if (e.reason.find("; calibrated (imatrix)") != std::string::npos) ++calibrated;
    if (e.name == "model.layers.0.mlp.up_proj.weight") {
      EXPECT_NE(e.reason.find("calibrated (imatrix)"), std::string::npos);
    }
  }
  EXPECT_GE(calibrated, 6 * 7);  // every decoder linear at least
}

}  // namespace
}  // namespace hfb
