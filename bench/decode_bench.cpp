// bench/decode: decode tokens/s of the float32 runtime on a synthetic Gemma-4-shaped model, against this
// machine's memory read bandwidth measured in the same run (roofline = bandwidth / weight bytes per token).
// Usage: hfb_decode_bench [layers=8] [hidden=1536] [vocab=32000] [tokens=32] [intermediate=6144]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "models/gemma4/text_graph_builder.h"
#include "pipeline/synthetic_model.h"
#include "runtime/graph_session.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Best-of-N read bandwidth (bytes/s) over a buffer far larger than the caches, with `threads` readers.
double measure_read_bandwidth(int threads) {
  const size_t count = size_t{256} << 20 >> 2;  // 256 MB of floats
  std::vector<float> buffer(count, 1.0f);
  double best = 0.0;
  std::vector<double> sums(threads);
  for (int pass = 0; pass < 5; ++pass) {
    auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        const size_t begin = count * t / threads, end = count * (t + 1) / threads;
        float acc[16] = {};
        for (size_t i = begin; i + 16 <= end; i += 16) {
          for (int j = 0; j < 16; ++j) acc[j] += buffer[i + j];
        }
        double sum = 0.0;
        for (float a : acc) sum += a;
        sums[t] = sum;
      });
    }
    for (auto& w : workers) w.join();
    double elapsed = seconds_since(start);
    best = std::max(best, static_cast<double>(count) * sizeof(float) / elapsed);
  }
  if (sums[0] < 0) std::printf("impossible\n");  // keep the reads alive
  return best;
}

// Weight bytes one decode step reads: whole matrices for linear/norm/scale inputs, one row per gather.
double weight_bytes_per_token(const hfb::Graph& graph) {
  double bytes = 0.0;
  std::vector<std::string> counted;
  for (const hfb::Node& node : graph.nodes()) {
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const hfb::ValueInfo* value = graph.find_value(node.inputs[i]);
      if (!value || value->kind != hfb::ValueKind::kInitializer) continue;
      double elements = 1.0;
      for (int64_t d : value->dims) elements *= static_cast<double>(d);
      if (node.op == hfb::OpType::kGather) {
        bytes += 4.0 * static_cast<double>(value->dims[1]);
        continue;
      }
      if (std::find(counted.begin(), counted.end(), value->name) != counted.end()) continue;
      counted.push_back(value->name);
      bytes += 4.0 * elements;
    }
  }
  return bytes;
}

int arg(int argc, char** argv, int index, int fallback) {
  return argc > index ? std::atoi(argv[index]) : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  hfb::SyntheticModelSpec spec;
  spec.num_layers = arg(argc, argv, 1, 8);
  spec.hidden_size = arg(argc, argv, 2, 1536);
  spec.vocab_size = arg(argc, argv, 3, 32000);
  const int tokens = arg(argc, argv, 4, 32);
  spec.intermediate_size = arg(argc, argv, 5, 6144);
  spec.num_heads = 8;
  spec.num_kv_heads = 1;
  spec.full_kv_heads = 1;
  spec.head_dim = 256;
  spec.full_head_dim = 512;
  spec.ple_width = 256;
  spec.full_every = 5;  // E2B: four sliding layers, then one full
  spec.num_kv_shared_layers = spec.num_layers > 5 ? spec.num_layers - 5 : 0;  // share from the last sliding layer
  spec.sliding_window = 512;
  spec.weight_scale = 0.02f;
  spec.with_sources = false;
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());

  auto build_start = Clock::now();
  auto model = hfb::make_synthetic_gemma4(spec);
  if (!model.ok()) return std::fprintf(stderr, "%s\n", model.error().to_string().c_str()), 2;
  auto graph = hfb::build_gemma4_text_graph(model->model.config, model->model.tensors);
  if (!graph.ok()) return std::fprintf(stderr, "%s\n", graph.error().to_string().c_str()), 2;
  auto session = hfb::make_graph_session(*graph, model->weights, spec.num_layers);
  if (!session.ok()) return std::fprintf(stderr, "%s\n", session.error().to_string().c_str()), 2;
  std::printf("model: %d layers, hidden %d, vocab %d, intermediate %d, ple %d, kv-shared %d (built in %.1f s)\n",
              spec.num_layers, spec.hidden_size, spec.vocab_size, spec.intermediate_size, spec.ple_width,
              spec.num_kv_shared_layers, seconds_since(build_start));

  std::vector<int64_t> prompt;
  for (int i = 0; i < 16; ++i) prompt.push_back((i * 7919 + 2) % spec.vocab_size);
  auto logits = (*session)->prefill(prompt, nullptr, nullptr);
  if (!logits.ok()) return std::fprintf(stderr, "%s\n", logits.error().to_string().c_str()), 2;
  (void)(*session)->decode(5);  // warm-up step (plans the decode buffers)

  auto decode_start = Clock::now();
  int64_t token = 3;
  for (int t = 0; t < tokens; ++t) {
    auto step = (*session)->decode(token);
    if (!step.ok()) return std::fprintf(stderr, "%s\n", step.error().to_string().c_str()), 2;
    token = std::max_element(step->data.begin(), step->data.end()) - step->data.begin();
  }
  const double decode_seconds = seconds_since(decode_start);
  const double tokens_per_second = tokens / decode_seconds;
  const double bytes = weight_bytes_per_token(*graph);
  const double bandwidth = std::max(measure_read_bandwidth(1), measure_read_bandwidth(static_cast<int>(threads)));
  const double roofline = bandwidth / bytes;

  std::printf("decode: %d tokens in %.3f s = %.2f tokens/s\n", tokens, decode_seconds, tokens_per_second);
  std::printf("weights read per token: %.1f MB\n", bytes / 1e6);
  std::printf("memory read bandwidth: %.2f GB/s (best of 1 and %u threads)\n", bandwidth / 1e9, threads);
  std::printf("roofline: %.2f tokens/s; achieved ratio: %.2f (target >= 0.70)\n", roofline,
              tokens_per_second / roofline);
  return 0;
}
