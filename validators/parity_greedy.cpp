// The greedy decoding loop shared by `hfbundle run` and `hfbundle verify`.
#include "validators/parity_greedy.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <string>

#include "core/limits.h"

namespace hfb {

Status validate_token_ids(const std::vector<int64_t>& ids, int64_t vocab_size) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= vocab_size) {
      return Error(ErrorCode::kInvalidArgument,
                   "token id " + std::to_string(ids[i]) + " at prompt position " + std::to_string(i) +
                       " is outside the vocabulary [0, " + std::to_string(vocab_size) + ")");
    }
  }
  return ok_status();
}

namespace {

Status check_logits_shape(const Matrix& m, int64_t rows, int64_t vocab, const char* what) {
  if (m.rows != rows || m.cols != vocab || static_cast<int64_t>(m.data.size()) != rows * vocab) {
    return Error(ErrorCode::kInternal, std::string("session ") + what + " returned logits [" +
                                           std::to_string(m.rows) + "," + std::to_string(m.cols) +
                                           "], expected [" + std::to_string(rows) + "," +
                                           std::to_string(vocab) + "]");
  }
  return ok_status();
}

/// kCheckFailed naming the step and the first token whose logit is NaN or Inf: argmax over such a row picks
/// an arbitrary token, so a run never reports it as output.
Status check_logits_finite(const float* row, int64_t vocab, size_t step) {
  for (int64_t t = 0; t < vocab; ++t) {
    if (std::isfinite(row[t])) continue;
    return Error(ErrorCode::kCheckFailed,
                 "step " + std::to_string(step) + " (0 = last prompt position): the logit of token " + std::to_string(t) +
                     " is " + (std::isnan(row[t]) ? "NaN" : "infinite") +
                     " (first non-finite logit; non-finite weights or activations: try inspect --check, or a checkpoint run)");
  }
  return ok_status();
}

/// `error` (non-finite logits at the step after `generated`) with the first non-finite value named: the steps are
/// rerun from the prompt with the session checking every op output (Session::set_check_finite), so the fast
/// path pays nothing. Left as it is when the rerun fails or the session cannot tell.
Error name_first_nonfinite(Session& session, const std::vector<int64_t>& prompt, const MediaInputs* media,
                           const std::vector<int64_t>& generated, Error error) {
  session.set_check_finite(true);
  session.reset();
  bool rerun = session.prefill(prompt, media, nullptr).ok();
  for (size_t i = 0; rerun && i < generated.size(); ++i) rerun = session.decode(generated[i]).ok();
  const std::string first = rerun ? session.first_nonfinite() : "";
  session.set_check_finite(false);
  if (!first.empty()) error.message += "; the first non-finite value of that step: " + first;
  return error;
}

struct StepContext {
  Session* session;
  const std::vector<int64_t>* prompt;
  const MediaInputs* media;
};

// Records the step whose logits are `row`; returns true when generation must stop after it.
Result<bool> record_step(const float* row, int64_t vocab, const GreedyOptions& options, TokenSampler* sampler,
                         const StepContext& context, GreedyRun* run) {
  Status finite = check_logits_finite(row, vocab, run->steps.size());
  if (!finite.ok()) {
    return name_first_nonfinite(*context.session, *context.prompt, context.media, run->generated,
                                std::move(finite).error());
  }
  GreedyStep step;
  step.top = top_two(row, vocab);
  step.token = options.sampling.greedy() ? step.top.top1 : sampler->sample(row, vocab);
  run->steps.push_back(step);
  run->generated.push_back(step.token);
  if (options.keep_logits) {
    run->step_logits.data.insert(run->step_logits.data.end(), row, row + vocab);
    run->step_logits.rows += 1;
  }
  if (options.on_step) options.on_step(static_cast<int>(run->steps.size()));
  const auto& eos = options.eos_ids;
  return std::find(eos.begin(), eos.end(), step.token) != eos.end();
}

}  // namespace

Result<GreedyRun> run_greedy(Session& session, const std::vector<int64_t>& prompt, const MediaInputs* media,
                             Taps* taps, const GreedyOptions& options) {
  const int64_t vocab = session.vocab_size();
  if (prompt.empty()) return Error(ErrorCode::kInvalidArgument, "the prompt is empty");
  if (options.max_new_tokens < 0) {
    return Error(ErrorCode::kInvalidArgument, "max_new_tokens must be >= 0");
  }
  HFB_TRY(validate_token_ids(prompt, vocab));
  HFB_TRY(check_limit("prompt + new tokens", prompt.size() + static_cast<uint64_t>(options.max_new_tokens),
                      static_cast<uint64_t>(limits().max_positions), "positions"));
  HFB_TRY(validate_sampling(options.sampling));
  TokenSampler sampler(options.sampling);
  const StepContext context{&session, &prompt, media};
  GreedyRun run;
  run.prompt = prompt;
  run.step_logits.cols = vocab;
  session.reset();
  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  const auto prefill_start = Clock::now();
  // Generation needs the last position's logits only (the head for every prompt position is the costliest
  // linear of a prefill); keep_logits asks for every position.
  HFB_TRY(Matrix prefill, options.keep_logits ? session.prefill(prompt, media, taps)
                                              : session.prefill_last(prompt, media, taps));
  run.prefill_seconds = seconds_since(prefill_start);
  HFB_TRY(check_logits_shape(prefill, options.keep_logits ? static_cast<int64_t>(prompt.size()) : 1, vocab,
                             "prefill"));
  if (options.max_new_tokens == 0) {
    if (options.keep_logits) run.prefill_logits = std::move(prefill);
    return run;
  }
  HFB_TRY(bool stop, record_step(prefill.row(prefill.rows - 1), vocab, options, &sampler, context, &run));
  if (options.on_token) options.on_token(run.generated.back());
  if (options.keep_logits) run.prefill_logits = std::move(prefill);
  const uint64_t bytes_before = session.weight_bytes_read();
  while (!stop && static_cast<int>(run.steps.size()) < options.max_new_tokens) {
    const auto step_start = Clock::now();
    HFB_TRY(Matrix logits, session.decode(run.generated.back()));
    run.decode_seconds += seconds_since(step_start);
    run.decode_calls += 1;
    run.decode_weight_bytes = session.weight_bytes_read() - bytes_before;
    HFB_TRY(check_logits_shape(logits, 1, vocab, "decode"));
    run.decode_experts_weights_read.push_back(session.experts_weights_read());
    HFB_TRY(stop, record_step(logits.row(0), vocab, options, &sampler, context, &run));
    if (options.on_token) options.on_token(run.generated.back());
  }
  return run;
}

}  // namespace hfb
