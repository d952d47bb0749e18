// bench/convert: writes a synthetic bf16 checkpoint with the real Gemma 4 E2B text shapes (optionally fewer
// layers), runs `hfbundle convert --quant q4_0` on it for two sizes and prints wall time, GB/s, peak RSS
// and the slope between the sizes (peak RSS must not grow with checkpoint size), with the child's CPU seconds
// (user + sys, and sys alone) and the 1-minute load average after each run. Not a ctest test.
//
//   hfb_convert_bench [--layers A,B] [--dir DIR] [--hfbundle PATH] [--keep]
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

#ifndef HFB_CLI_PATH
#define HFB_CLI_PATH "hfbundle"  // no hfbundle target in this build: found on PATH
#endif

namespace {

constexpr int64_t kHidden = 1536, kVocab = 262144, kPle = 256, kHeads = 8, kKvHeads = 1;
constexpr int64_t kSlidingHeadDim = 256, kGlobalHeadDim = 512, kIntermediate = 4 * kHidden;
constexpr int kFullLayers = 35, kFullKvShared = 20, kPattern = 5;

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  uint64_t bytes() const {
    uint64_t n = 2;
    for (int64_t d : shape) n *= static_cast<uint64_t>(d);
    return n;
  }
};

bool is_full(int layer, int layers) { return layer % kPattern == kPattern - 1 || layer == layers - 1; }

/// E2B keeps 20 KV-shared layers of 35; smaller models keep at least one full layer unshared.
int kv_shared_layers(int layers) {
  if (layers == kFullLayers) return kFullKvShared;
  const int unshared = std::max(std::min(layers, kPattern), layers - kFullKvShared);
  return layers - unshared;
}

std::vector<Tensor> e2b_tensors(int layers) {
  const int first_shared = layers - kv_shared_layers(layers);
  std::vector<Tensor> t = {{"model.embed_tokens.weight", {kVocab, kHidden}},
                           {"model.embed_tokens_per_layer.weight", {kVocab, layers * kPle}},
                           {"model.norm.weight", {kHidden}},
                           {"model.per_layer_model_projection.weight", {layers * kPle, kHidden}},
                           {"model.per_layer_projection_norm.weight", {kPle}}};
  for (int i = 0; i < layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    const int64_t hd = is_full(i, layers) ? kGlobalHeadDim : kSlidingHeadDim;
    const int64_t mlp = kIntermediate * (i >= first_shared ? 2 : 1);  // double-wide MLP on shared layers
    for (const char* norm : {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                             "post_feedforward_layernorm", "post_per_layer_input_norm"}) {
      t.push_back({p + norm + ".weight", {kHidden}});
    }
    t.push_back({p + "layer_scalar", {1}});
    t.push_back({p + "mlp.gate_proj.weight", {mlp, kHidden}});
    t.push_back({p + "mlp.up_proj.weight", {mlp, kHidden}});
    t.push_back({p + "mlp.down_proj.weight", {kHidden, mlp}});
    t.push_back({p + "per_layer_input_gate.weight", {kPle, kHidden}});
    t.push_back({p + "per_layer_projection.weight", {kHidden, kPle}});
    t.push_back({p + "self_attn.q_proj.weight", {kHeads * hd, kHidden}});
    t.push_back({p + "self_attn.q_norm.weight", {hd}});
    t.push_back({p + "self_attn.o_proj.weight", {kHidden, kHeads * hd}});
    if (i < first_shared) {  // KV-shared layers read an earlier layer's K/V: no k/v weights in the checkpoint
      t.push_back({p + "self_attn.k_proj.weight", {kKvHeads * hd, kHidden}});
      t.push_back({p + "self_attn.v_proj.weight", {kKvHeads * hd, kHidden}});
      t.push_back({p + "self_attn.k_norm.weight", {hd}});
    }
  }
  return t;
}

std::string config_json(int layers) {
  std::string types;
  for (int i = 0; i < layers; ++i) {
    types += std::string(i ? "," : "") + (is_full(i, layers) ? "\"full_attention\"" : "\"sliding_attention\"");
  }
  return R"({"architectures": ["Gemma4ForCausalLM"], "model_type": "gemma4_text", "hidden_size": 1536,
  "intermediate_size": 6144, "num_hidden_layers": )" + std::to_string(layers) +
         R"(, "num_attention_heads": 8, "num_key_value_heads": 1, "head_dim": 256, "global_head_dim": 512,
  "num_global_key_value_heads": null, "attention_k_eq_v": false, "num_kv_shared_layers": )" +
         std::to_string(kv_shared_layers(layers)) + R"(, "use_double_wide_mlp": true,
  "hidden_size_per_layer_input": 256, "vocab_size": 262144, "vocab_size_per_layer_input": 262144,
  "sliding_window": 512, "final_logit_softcapping": 30.0, "hidden_activation": "gelu_pytorch_tanh",
  "rms_norm_eps": 1e-6, "tie_word_embeddings": true, "enable_moe_block": false, "bos_token_id": 2,
  "eos_token_id": 1, "pad_token_id": 0, "layer_types": [)" + types + R"(],
  "rope_parameters": {"full_attention": {"rope_theta": 1000000.0, "rope_type": "proportional",
    "partial_rotary_factor": 0.25}, "sliding_attention": {"rope_theta": 10000.0, "rope_type": "default"}}}
)";
}

std::string safetensors_header(const std::vector<Tensor>& tensors) {
  std::string h = "{";
  uint64_t at = 0;
  for (const Tensor& t : tensors) {
    std::string shape;
    for (int64_t d : t.shape) shape += std::string(shape.empty() ? "" : ",") + std::to_string(d);
    h += "\"" + t.name + "\":{\"dtype\":\"BF16\",\"shape\":[" + shape + "],\"data_offsets\":[" + std::to_string(at) +
         "," + std::to_string(at + t.bytes()) + "]},";
    at += t.bytes();
  }
  h.back() = '}';
  while ((h.size() + 8) % 64 != 0) h += ' ';  // data 64-byte aligned in the file
  return h;
}

/// Fills `out` with bf16 values of a cheap deterministic bell-shaped distribution, std ~0.02.
void fill_bf16(std::vector<uint16_t>& out, uint64_t* state) {
  for (uint16_t& v : out) {
    uint64_t x = (*state += 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    const float u = (static_cast<float>(x & 0xFFFF) + static_cast<float>((x >> 16) & 0xFFFF) +
                     static_cast<float>((x >> 32) & 0xFFFF) - 98302.5f) / 65536.0f;  // sum of 3 uniforms
    const float f = u * 0.04f;
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    v = static_cast<uint16_t>(bits >> 16);
  }
}

bool write_checkpoint(const std::string& dir, int layers, uint64_t* bytes) {
  if (std::system(("mkdir -p '" + dir + "'").c_str()) != 0) return false;
  FILE* cfg = std::fopen((dir + "/config.json").c_str(), "w");
  if (!cfg) return false;
  std::fputs(config_json(layers).c_str(), cfg);
  std::fclose(cfg);
  const std::vector<Tensor> tensors = e2b_tensors(layers);
  const std::string header = safetensors_header(tensors);
  FILE* f = std::fopen((dir + "/model.safetensors").c_str(), "wb");
  if (!f) return false;
  const uint64_t header_size = header.size();
  std::fwrite(&header_size, 8, 1, f);
  std::fwrite(header.data(), 1, header.size(), f);
  std::vector<uint16_t> buffer(4u << 20);
  uint64_t state = 42;
  *bytes = 0;
  for (const Tensor& t : tensors) {
    for (uint64_t left = t.bytes() / 2; left > 0;) {
      const uint64_t n = std::min<uint64_t>(left, buffer.size());
      buffer.resize(n);
      fill_bf16(buffer, &state);
      if (std::fwrite(buffer.data(), 2, n, f) != n) return std::fclose(f), false;
      left -= n;
      buffer.resize(4u << 20);
    }
    *bytes += t.bytes();
  }
  return std::fclose(f) == 0;
}

uint64_t checkpoint_bytes(int layers) {
  uint64_t total = 0;
  for (const Tensor& t : e2b_tensors(layers)) total += t.bytes();
  return total;
}

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

struct BenchArgs {
  std::vector<int> sizes = {18, kFullLayers};
  std::string dir = "/tmp/hfb_convert_bench";
  std::string hfbundle = HFB_CLI_PATH;
  bool keep = false;
};

bool parse_args(int argc, char** argv, BenchArgs* args) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--layers" && i + 1 < argc) {
      std::vector<int>& s = args->sizes;
      if (std::sscanf(argv[++i], "%d,%d", &s[0], &s[1]) != 2) s = {std::atoi(argv[i]), kFullLayers};
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
    const double gb = static_cast<double>(checkpoint_bytes(layers)) * 1.6 / 1e9;
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
  const std::string src = args.dir + "/e2b-" + std::to_string(layers);
  if (!write_checkpoint(src, layers, &run->source_bytes)) {
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

}  // namespace

int main(int argc, char** argv) {
  BenchArgs args;
  if (!parse_args(argc, argv, &args)) {
    std::fprintf(stderr, "usage: %s [--layers A,B] [--dir DIR] [--hfbundle PATH] [--keep]\n", argv[0]);
    return 2;
  }
  if (std::system(("mkdir -p '" + args.dir + "'").c_str()) != 0) return 1;
  if (!enough_disk(args)) return 1;
  std::printf("convert_bench: E2B text shapes (hidden 1536, vocab 262144, PLE 256/layer, global head dim 512), "
              "bf16, --quant q4_0, %s, %.1f GB free\n", args.hfbundle.c_str(), free_gb(args.dir));
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
  }
  return 0;
}
