// bench/decode: the runtime on a synthetic Gemma 4 E2B-shaped checkpoint (bench/synthetic_e2b.h) converted to
// each of none, int8, q8_0, q4_0 and kmeans4. For every scheme it runs the real binary
// (`hfbundle run BUNDLE --prompt-ids <128 ids> -n 64 --json --threads T`) and prints load s, prefill tokens/s,
// decode tokens/s, weight bytes read per token, peak RSS and peak anonymous memory (from run's "timings"), and
// the roofline ratio: decode tokens/s / (read bandwidth measured in the same run / bytes per token).
// Not a ctest test. The llama.cpp side-by-side on the same checkpoint (its q4_0 GGUF through node-llama-cpp) is
// bench/llama_cpp_compare.sh, which runs this bench first.
//
//   hfb_decode_bench [--layers N] [--threads T] [--schemes a,b] [--dir DIR] [--hfbundle PATH] [--keep]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench/synthetic_e2b.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#ifndef HFB_CLI_PATH
#define HFB_CLI_PATH "hfbundle"  // no hfbundle target in this build: found on PATH
#endif

namespace {

using namespace hfb_bench;
using Clock = std::chrono::steady_clock;

constexpr int kPromptTokens = 128;
constexpr int kDecodeSteps = 64;

struct BenchArgs {
  int layers = kFullLayers;
  int threads = 0;  // 0: every core (run's default)
  std::vector<std::string> schemes = {"none", "int8", "q8_0", "q4_0", "kmeans4"};
  std::string dir = "/tmp/hfb_decode_bench";
  std::string hfbundle = HFB_CLI_PATH;
  bool keep = false;
};

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) uint64_t read_range(const uint64_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 16 <= n; i += 16) {
    a0 = _mm256_xor_si256(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_xor_si256(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 4)));
    a2 = _mm256_xor_si256(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 8)));
    a3 = _mm256_xor_si256(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 12)));
  }
  const __m256i x = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  return static_cast<uint64_t>(_mm256_extract_epi64(x, 0) ^ _mm256_extract_epi64(x, 3));
}
#else
uint64_t read_range(const uint64_t* p, size_t n) {
  uint64_t a = 0;
  for (size_t i = 0; i < n; ++i) a ^= p[i];
  return a;
}
#endif

/// Best-of-5 read bandwidth (bytes/s) over 512 MiB with `threads` readers, each its own contiguous range.
double measure_read_bandwidth(int threads) {
  const size_t count = (size_t{512} << 20) / 8;
  auto* buffer = static_cast<uint64_t*>(std::aligned_alloc(64, count * 8));
  for (size_t i = 0; i < count; ++i) buffer[i] = i;
  double best = 0.0;
  uint64_t sink = 0;
  for (int pass = 0; pass < 5; ++pass) {
    std::vector<uint64_t> sums(static_cast<size_t>(threads));
    const auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        const size_t begin = count * t / threads / 16 * 16, end = count * (t + 1) / threads / 16 * 16;
        sums[t] = read_range(buffer + begin, end - begin);
      });
    }
    for (auto& w : workers) w.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    best = std::max(best, static_cast<double>(count) * 8 / elapsed);
    for (uint64_t s : sums) sink ^= s;
  }
  std::free(buffer);
  if (sink == 42) std::printf(" ");  // keep the reads alive
  return best;
}

/// fork + exec argv with stdout captured; the exit status (-1 if it could not run) and peak RSS in KiB.
int run_child(const std::vector<std::string>& argv, std::string* out, long* maxrss_kib) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  char buf[65536];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;) out->append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  rusage usage{};
  if (::wait4(pid, &status, 0, &usage) != pid) return -1;
  *maxrss_kib = usage.ru_maxrss;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// The number after "key": in a JSON text (the timings object has unique keys); -1 when absent.
double json_number(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\"");
  if (at == std::string::npos) return -1;
  const size_t colon = json.find(':', at);
  return colon == std::string::npos ? -1 : std::atof(json.c_str() + colon + 1);
}

std::string prompt_ids() {
  std::string ids;
  for (int i = 0; i < kPromptTokens; ++i) ids += (i ? "," : "") + std::to_string(1000 + (i * 7919) % 200000);
  return ids;
}

bool run_scheme(const BenchArgs& args, const std::string& ckpt, const std::string& scheme, double bandwidth) {
  const std::string bundle = args.dir + "/e2b-" + std::to_string(args.layers) + "-" + scheme + ".hfb";
  std::string ignored;
  long rss = 0;
  if (run_child({args.hfbundle, "convert", ckpt, "-o", bundle, "--quant", scheme, "--force", "--quiet"}, &ignored,
                &rss) != 0) {
    std::printf("decode_bench: hfbundle convert --quant %s failed\n", scheme.c_str());
    return false;
  }
  std::vector<std::string> run = {args.hfbundle, "run", bundle, "--prompt-ids", prompt_ids(), "-n",
                                  std::to_string(kDecodeSteps), "--json"};
  if (args.threads > 0) run.insert(run.end(), {"--threads", std::to_string(args.threads)});
  std::string json;
  if (run_child(run, &json, &rss) != 0) {
    std::printf("decode_bench: hfbundle run on the %s bundle failed\n", scheme.c_str());
    return false;
  }
  const double decode = json_number(json, "decode_tokens_per_s");
  const double bytes = json_number(json, "weights_bytes_per_token");
  const double roofline = bytes > 0 ? bandwidth / bytes : 0;
  std::printf("%-8s %7.2f %9.2f %9.2f %9.0f %9.2f %9.0f %9.0f\n", scheme.c_str(), json_number(json, "load_s"),
              json_number(json, "prompt_tokens_per_s"), decode, bytes / 1e6, roofline > 0 ? decode / roofline : 0,
              json_number(json, "peak_rss_bytes") / 1048576.0, json_number(json, "peak_anon_bytes") / 1048576.0);
  std::fflush(stdout);
  return args.keep || std::system(("rm -rf '" + bundle + "'").c_str()) == 0;
}

bool parse_args(int argc, char** argv, BenchArgs* args) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--layers" && has_value) {
      args->layers = std::atoi(argv[++i]);
    } else if (a == "--threads" && has_value) {
      args->threads = std::atoi(argv[++i]);
    } else if (a == "--schemes" && has_value) {
      args->schemes.clear();
      std::string list = argv[++i];
      for (size_t start = 0, comma; start <= list.size(); start = comma + 1) {
        comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        args->schemes.push_back(list.substr(start, comma - start));
      }
    } else if (a == "--dir" && has_value) {
      args->dir = argv[++i];
    } else if (a == "--hfbundle" && has_value) {
      args->hfbundle = argv[++i];
    } else if (a == "--keep") {
      args->keep = true;
    } else {
      return false;
    }
  }
  return args->layers >= 1 && args->layers <= kFullLayers && args->threads >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  BenchArgs args;
  if (!parse_args(argc, argv, &args)) {
    std::fprintf(stderr, "usage: %s [--layers N] [--threads T] [--schemes none,int8,q8_0,q4_0,kmeans4] [--dir DIR] "
                         "[--hfbundle PATH] [--keep]\n", argv[0]);
    return 2;
  }
  if (std::system(("mkdir -p '" + args.dir + "'").c_str()) != 0) return 1;
  const std::string ckpt = args.dir + "/e2b-" + std::to_string(args.layers);
  uint64_t bytes = 0;
  if (!write_checkpoint(ckpt, args.layers, &bytes)) {
    std::printf("decode_bench: cannot write %s (disk full?)\n", ckpt.c_str());
    return 1;
  }
  const int threads = args.threads > 0 ? args.threads : static_cast<int>(std::thread::hardware_concurrency());
  const double bandwidth = measure_read_bandwidth(std::max(1, threads));
  double load[1] = {-1};
  if (::getloadavg(load, 1) != 1) load[0] = -1;
  std::printf("decode_bench: E2B text shapes, %d layers (%.2f GB bf16), %d-token prompt, %d decode steps, %d threads, "
              "read bandwidth %.1f GB/s, load %.2f; llama.cpp side-by-side: bench/llama_cpp_compare.sh\n",
              args.layers, bytes / 1e9, kPromptTokens, kDecodeSteps, threads, bandwidth / 1e9, load[0]);
  std::printf("%-8s %7s %9s %9s %9s %9s %9s %9s\n", "scheme", "load s", "prefill/s", "decode/s", "MB/token",
              "roofline", "RSS MiB", "anon MiB");
  std::fflush(stdout);  // before the children's stderr timings lines
  bool ok = true;
  for (const std::string& scheme : args.schemes) ok = run_scheme(args, ckpt, scheme, bandwidth) && ok;
  if (!args.keep && std::system(("rm -rf '" + ckpt + "'").c_str()) != 0) ok = false;
  return ok ? 0 : 1;
}
