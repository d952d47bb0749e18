// Recording a golden from a reference Session (verify --against), prompt files and random prompts.
#include "validators/golden_record.h"

#include <algorithm>
#include <random>

#include "core/graph_io.h"
#include "readers/media/log_mel.h"
#include "validators/parity_greedy.h"
#include "validators/parity_taps.h"

namespace hfb {

namespace {


/// The media of a recorded case and the reference's tower taps (what compare_tower_taps reads).
void record_media(const MediaInputs& media, const std::string& kind, Taps& taps, GoldenCase* c) {
  c->media = media;
  c->media_kind = kind;
  for (auto& [name, value] : taps) {
    if (is_tower_tap(name)) c->taps[name] = std::move(value);
  }
  if (!media.input_features_mask.empty()) {
    std::vector<uint8_t> reduced = media::audio_output_mask(media.input_features_mask);
    Matrix mask{static_cast<int64_t>(reduced.size()), 1, std::vector<float>(reduced.begin(), reduced.end())};
    c->taps["audio_output_mask"] = std::move(mask);
  }
}

Result<GoldenCase> record_case(Session& reference, const std::vector<int64_t>& prompt, size_t index, size_t count,
                               const GoldenRecordOptions& options) {
  GreedyOptions greedy;
  greedy.max_new_tokens = options.steps;
  greedy.eos_ids = options.eos_ids;
  greedy.keep_logits = true;
  if (options.on_progress) {
    greedy.on_step = [&options, index, count](int done) { options.on_progress(index, count, done, options.steps); };
  }
  Taps taps;
  const bool want_taps = options.hidden_states || options.media != nullptr;
  HFB_TRY(GreedyRun run, run_greedy(reference, prompt, options.media, want_taps ? &taps : nullptr, greedy));
  GoldenCase c;
  c.name = "prompt" + std::to_string(index);
  c.prompt = prompt;
  c.greedy = run.generated;
  for (const GreedyStep& s : run.steps) {
    c.steps.push_back({s.token, s.top.top1, s.top.top2, s.top.top1_value, s.top.top2_value, s.top.margin()});
  }
  c.stopped_at_eos = !run.generated.empty() && std::find(options.eos_ids.begin(), options.eos_ids.end(),
                                                         run.generated.back()) != options.eos_ids.end();
  c.prefill_logits = std::move(run.prefill_logits);
  c.step_logits = std::move(run.step_logits);
  for (int i = 0; i <= reference.num_layers(); ++i) {
    auto it = taps.find(hidden_states_tap(i));
    if (it != taps.end() && options.hidden_states) c.hidden_states[i] = std::move(it->second);
  }
  if (options.media != nullptr) record_media(*options.media, options.media_kind, taps, &c);
  return c;
}

}  // namespace

Result<Golden> record_golden(Session& reference, const std::vector<std::vector<int64_t>>& prompts,
                             const GoldenRecordOptions& options) {
  if (prompts.empty()) return Error(ErrorCode::kInvalidArgument, "no prompts to record");
  if (options.steps < 1) return Error(ErrorCode::kInvalidArgument, "--steps must be >= 1");
  Golden golden;
  golden.dir = options.label;
  golden.format = "hf-gemma4-golden/1";
  golden.preset = "recorded";
  golden.vocab_size = reference.vocab_size();
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto c = record_case(reference, prompts[i], i, prompts.size(), options);
    if (!c.ok()) return std::move(c).error().with_context("while recording prompt " + std::to_string(i));
    golden.cases.push_back(std::move(c).value());
  }
  return golden;
}

std::vector<std::vector<int64_t>> random_prompts(int count, uint64_t seed, int64_t vocab_size, int64_t bos_id,
                                                 const std::vector<int64_t>& excluded_ids) {
  std::vector<int64_t> allowed;
  for (int64_t id = 0; id < vocab_size; ++id) {
    if (std::find(excluded_ids.begin(), excluded_ids.end(), id) == excluded_ids.end()) allowed.push_back(id);
  }
  std::vector<std::vector<int64_t>> prompts;
  if (allowed.empty()) return prompts;
  std::mt19937_64 rng(seed);  // fully specified by the standard: same prompts on every platform
  prompts.reserve(static_cast<size_t>(std::max(count, 0)));  // count is bounded by limits().max_prompts
  for (int i = 0; i < count; ++i) {
    const int length = 2 + static_cast<int>(rng() % 31);  // [2, 32]
    std::vector<int64_t> prompt{bos_id};
    while (static_cast<int>(prompt.size()) < length) prompt.push_back(allowed[rng() % allowed.size()]);
    prompts.push_back(std::move(prompt));
  }
  return prompts;
}

}  // namespace hfb
