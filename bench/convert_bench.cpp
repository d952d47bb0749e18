// bench/convert: writes a synthetic bf16 checkpoint with the real Gemma 4 E2B or 26B-A4B (MoE) text shapes
// (optionally fewer layers), runs `hfbundle convert --quant q4_0` on it for two sizes and prints wall time, GB/s,
// peak RSS and the slope between the sizes (peak RSS must not grow with checkpoint size), with the child's CPU
// seconds (user + sys, and sys alone) and the 1-minute load average after each run; when the larger size is not
// the full model, the full model's time and peak RSS projected along that slope. Not a ctest test.
//
//   hfb_convert_bench [--model e2b|26b-a4b] [--layers A,B] [--dir DIR] [--hfbundle PATH] [--keep]
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/synthetic_26b_a4b.h"
#include "bench/synthetic_e2b.h"

#ifndef HFB_CLI_PATH
#define HFB_CLI_PATH "hfbundle"  // no hfbundle target in this build: found on PATH
#endif

namespace {

using namespace hfb_bench;

struct Run {
  int layers = 0;
  uint64_t source_bytes = 0;
  double wall = 0;
  double cpu = 0;  // user + system seconds of the child (wall time is inflated when the machine is shared)
  double sys = 0;  // of which system: mostly the kernel filling fresh page-cache pages with the output
  double peak_rss_mib = 0;
};

/// fork + exec `hfbundle convert SRC -o OUT --quant q4_0 --force --quiet`; wall time and the child's peak RSS.
bool run_convert(const std::string& hfbundle, const std::string& src, const std::string& out, Run* run) {
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::execl(hfbundle.c_str(), hfbundle.c_str(), "convert", src.c_str(), "-o", out.c_str(), "--quant", "q4_0",
            "--force", "--quiet", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  if (::wait4(pid, &status, 0, &usage) != pid) return false;
  run->wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run->peak_rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
  run->sys = static_cast<double>(usage.ru_stime.tv_sec) + static_cast<double>(usage.ru_stime.tv_usec) * 1e-6;
  run->cpu = run->sys + static_cast<double>(usage.ru_utime.tv_sec) +
             static_cast<double>(usage.ru_utime.tv_usec) * 1e-6;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

double free_gb(const std::string& dir) {
  struct statvfs st;
  if (::statvfs(dir.c_str(), &st) != 0) return 0;
  return static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize) / 1e9;
}

/// A synthetic model family member: its tensors and config for a layer count, and its real layer count.
struct ModelShape {
  std::string name;
  const char* description;
  int full_layers;
  std::vector<Tensor> (*tensors)(int layers);
  std::string (*config)(int layers);
};

const ModelShape kE2b{"e2b", "E2B text shapes (hidden 1536, vocab 262144, PLE 256/layer, global head dim 512)",
                      kFullLayers, e2b_tensors, config_json};
const ModelShape kA4b{"26b-a4b",
                      "26B-A4B text shapes (hidden 2816, vocab 262144, 128 experts of 704 + dense MLP 2112, "
                      "expert banks 3-D)",
                      a4b::kFullLayers, a4b::a4b_tensors, a4b::a4b_config_json};

struct BenchArgs {
  const ModelShape* model = &kE2b;
  std::vector<int> sizes = {18, kFullLayers};
  std::string dir = "/tmp/hfb_convert_bench";
  std::string hfbundle = HFB_CLI_PATH;
  bool keep = false;
};

bool parse_args(int argc, char** argv, BenchArgs* args) {
  bool layers_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--model" && i + 1 < argc) {
      const std::string name = argv[++i];
      if (name != kE2b.name && name != kA4b.name) return false;
      args->model = name == kE2b.name ? &kE2b : &kA4b;
      if (!layers_given) args->sizes = name == kE2b.name ? std::vector<int>{18, kFullLayers} : std::vector<int>{2, 4};
    } else if (a == "--layers" && i + 1 < argc) {
      std::vector<int>& s = args->sizes;
      if (std::sscanf(argv[++i], "%d,%d", &s[0], &s[1]) != 2) s = {std::atoi(argv[i]), args->model->full_layers};
      layers_given = true;
    } else if (a == "--dir" && i + 1 < argc) {
      args->dir = argv[++i];
    } else if (a == "--hfbundle" && i + 1 < argc) {
      args->hfbundle = argv[++i];
    } else if (a == "--keep") {
      args->keep = true;
    } else {
      return false;
    }
  }
  return args->sizes[0] >= 1 && args->sizes[1] >= 1;
}

/// Free disk for the checkpoint + q4_0 bundle (embedding and PLE stay int8: about half their bf16 size) of
/// the larger size (of both with --keep). Prints what is missing and returns false when short.
bool enough_disk(const BenchArgs& args) {
  double needed = 1.0;
  for (int layers : args.sizes) {
    const double gb = static_cast<double>(tensors_bytes(args.model->tensors(layers))) * 1.6 / 1e9;
    needed = args.keep ? needed + gb : std::max(needed, gb + 1.0);
  }
  const double have = free_gb(args.dir);
  if (have >= needed) return true;
  std::printf("convert_bench: needs about %.1f GB free in %s, only %.1f GB there; use --layers A,B with fewer "
              "layers or --dir elsewhere\n", needed, args.dir.c_str(), have);
  return false;
}

/// Writes the checkpoint of `layers`, converts it, prints one line; false (with a message) on failure.
bool run_size(const BenchArgs& args, int layers, Run* run) {
  run->layers = layers;
  const std::string src = args.dir + "/" + args.model->name + "-" + std::to_string(layers);
  if (!write_checkpoint_files(src, args.model->config(layers), args.model->tensors(layers), &run->source_bytes)) {
    std::printf("convert_bench: cannot write %s (disk full?)\n", src.c_str());
    return false;
  }
  ::sync();  // the checkpoint stays in the page cache, but its writeback no longer competes with the convert
  const std::string out = src + ".hfb";
  if (!run_convert(args.hfbundle, src, out, run)) {
    std::printf("convert_bench: hfbundle convert failed for %s\n", src.c_str());
    return false;
  }
  double load[1] = {0};
  if (::getloadavg(load, 1) != 1) load[0] = -1;  // the machine's 1-minute load right after the run
  std::printf("%7d %10.2f %10.2f %9.2f %10.2f %9.2f %12.0f %6.2f\n", layers, run->source_bytes / 1e9, run->wall,
              run->source_bytes / 1e9 / run->wall, run->cpu, run->sys, run->peak_rss_mib, load[0]);
  std::fflush(stdout);
  return args.keep || std::system(("rm -rf '" + src + "' '" + out + "'").c_str()) == 0;
}

/// The full model's wall time, CPU time and peak RSS extrapolated linearly from the larger run along the slope
/// between the two runs (per GB of checkpoint); printed when the larger run is not the full model.
void print_projection(const ModelShape& model, const Run& small, const Run& large) {
  if (large.layers >= model.full_layers) return;
  const double full_gb = static_cast<double>(tensors_bytes(model.tensors(model.full_layers))) / 1e9;
  const double dgb = (large.source_bytes - static_cast<double>(small.source_bytes)) / 1e9;
  const double extra = full_gb - large.source_bytes / 1e9;
  const auto along = [&](double a, double b) { return b + (b - a) / dgb * extra; };
  // Peak RSS does not shrink with a larger checkpoint: a negative slope (noise) projects the larger run's peak.
  const double rss = std::max(std::max(small.peak_rss_mib, large.peak_rss_mib),
                              along(small.peak_rss_mib, large.peak_rss_mib));
  std::printf("projection for the full model (%d layers, %.1f GB bf16) along that slope: %.0f s wall, %.0f s CPU, "
              "peak RSS %.0f MiB\n", model.full_layers, full_gb, along(small.wall, large.wall),
              along(small.cpu, large.cpu), rss);
}

}  // namespace

int main(int argc, char** argv) {
  BenchArgs args;
  if (!parse_args(argc, argv, &args)) {
    std::fprintf(stderr, "usage: %s [--model e2b|26b-a4b] [--layers A,B] [--dir DIR] [--hfbundle PATH] [--keep]\n",
                 argv[0]);
    return 2;
  }
  if (std::system(("mkdir -p '" + args.dir + "'").c_str()) != 0) return 1;
  if (!enough_disk(args)) return 1;
  std::printf("convert_bench: %s, bf16, --quant q4_0, %s, %.1f GB free\n", args.model->description,
              args.hfbundle.c_str(), free_gb(args.dir));
  std::printf("%7s %10s %10s %9s %10s %9s %12s %6s\n", "layers", "source GB", "wall s", "GB/s", "CPU s", "of: sys",
              "peak RSS MiB", "load");
  std::vector<Run> runs(2);
  for (size_t i = 0; i < 2; ++i) {
    if (!run_size(args, args.sizes[i], &runs[i])) return 1;
  }
  const double dgb = (runs[1].source_bytes - static_cast<double>(runs[0].source_bytes)) / 1e9;
  if (dgb != 0) {
    std::printf("slope: %.2f s wall, %.2f s CPU and %+.1f MiB peak RSS per GB of checkpoint\n",
                (runs[1].wall - runs[0].wall) / dgb, (runs[1].cpu - runs[0].cpu) / dgb,
                (runs[1].peak_rss_mib - runs[0].peak_rss_mib) / dgb);
    print_projection(*args.model, runs[0], runs[1]);
  }
  return 0;
}
