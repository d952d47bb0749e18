// choose_auto_quant: calibration data, (chunk, role) units, per-unit sensitivities, then a greedy descent that
// keeps every accepted combination measured within the KL budget.
#include "pipeline/auto_quant.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "models/model_family.h"
#include "models/load_checkpoint.h"
#include "pipeline/eval.h"
#include "pipeline/open_model.h"
#include "pipeline/quantized_session.h"
#include "validators/golden.h"

namespace hfb {
namespace {

constexpr int kRandomPrompts = 16;
constexpr int kRandomPromptLength = 64;
// Both calibration halves must come in 10 % under the budget: the mean KL of one bundle on two disjoint halves of
// held-out text differs by up to ~8 % on text-trained (docs/quality.md), so a recipe chosen to the budget exactly
// misses it on another split about half the time.
constexpr double kConfirmMargin = 0.1;
constexpr double kMinTighten = 0.9;     // each failed confirmation tightens the working budget by at least 10 %
constexpr int kMaxRounds = 8;

struct Calibration {
  std::string description;
  std::vector<std::vector<int64_t>> sequences;
};

std::vector<std::vector<int64_t>> seeded_prompts(uint64_t seed, const ModelSession& model) {
  std::mt19937_64 rng(seed);
  const int64_t vocab = model.session->vocab_size();
  std::vector<std::vector<int64_t>> out;
  for (int p = 0; p < kRandomPrompts; ++p) {
    std::vector<int64_t> ids{model.bos_id};
    while (static_cast<int>(ids.size()) < kRandomPromptLength) {
      const int64_t id = static_cast<int64_t>(rng() % static_cast<uint64_t>(vocab));
      if (std::find(model.reserved_ids.begin(), model.reserved_ids.end(), id) == model.reserved_ids.end()) ids.push_back(id);
    }
    out.push_back(std::move(ids));
  }
  return out;
}

Result<Calibration> load_calibration(const AutoQuantOptions& options, const ModelSession& reference) {
  Calibration c;
  if (!options.calibrate_file.empty()) {
    HFB_TRY(c.sequences, tokenize_prompt_file(options.source, options.calibrate_file));
    c.description = "--calibrate " + options.calibrate_file;
  } else if (std::filesystem::exists(std::filesystem::path(options.source) / "golden.json")) {
    HFB_TRY(Golden golden, load_golden(options.source));
    for (const GoldenCase& g : golden.cases) {
      if (!g.has_media()) c.sequences.push_back(g.prompt);
    }
    c.description = "the prompts of " + options.source + "/golden.json";
  }
  if (c.sequences.empty()) {
    c.sequences = seeded_prompts(options.seed, reference);
    c.description = std::to_string(kRandomPrompts) + " seeded random prompts of " +
                    std::to_string(kRandomPromptLength) + " ids (seed " + std::to_string(options.seed) + ")";
  }
  return c;
}

// Tensor name -> the chunk the plan puts it in (as convert plans it).
Result<std::map<std::string, std::string>> tensor_chunks(const AutoQuantOptions& options) {
  HFB_TRY(Model model, load_checkpoint(options.source));
  HFB_TRY(Graph graph, build_model_graph(model.config, model.tensors));
  HFB_TRY(PassPipelineResult pipeline, run_pass_pipeline(model, &graph, options.passes));
  std::map<std::string, std::string> out;
  if (!pipeline.chunk_plan) return out;
  for (const Chunk& chunk : pipeline.chunk_plan->chunks) {
    for (const std::string& name : chunk.tensors) out.emplace(name, chunk.name);
  }
  return out;
}

std::string escape_regex(const std::string& name) {
  std::string out;
  for (char ch : name) {
    if (std::string_view("\\^$.|?*+()[]{}").find(ch) != std::string_view::npos) out += '\\';
    out += ch;
  }
  return out;
}

// Units: tensors the default policy would quantize under --quant q4_0, grouped by (chunk, role); the ladder is
// int8 then q4_0 where the default takes q4_0, its one choice elsewhere (int8 for tables and towers, the
// fallback where q4_0 cannot take the shape).
Result<std::vector<AutoUnit>> make_units(const Model& model, const std::map<std::string, std::string>& chunks,
                                         const QuantPolicyOptions& base) {
  QuantPolicyOptions probe_options;
  probe_options.params = base.params;
  probe_options.min_elements = base.min_elements;
  probe_options.global = Scheme::kQ4_0;
  HFB_TRY(QuantPolicy probe, QuantPolicy::create(probe_options));
  std::vector<AutoUnit> units;
  for (const TensorInfo& t : model.tensors.tensors()) {
    HFB_TRY(TensorDecision d, probe.decide(t));
    if (d.scheme == Scheme::kNone) continue;
    auto found = chunks.find(t.name);
    const std::string chunk = found == chunks.end() ? "" : found->second;
    auto unit = std::find_if(units.begin(), units.end(),
                             [&](const AutoUnit& u) { return u.chunk == chunk && u.role == t.role; });
    if (unit == units.end()) {
      AutoUnit u;
      u.chunk = chunk;
      u.role = t.role;
      u.ladder = d.scheme == Scheme::kQ4_0 && !d.fallback ? std::vector<Scheme>{Scheme::kInt8, Scheme::kQ4_0}
                                           : std::vector<Scheme>{d.scheme};
      units.push_back(std::move(u));
      unit = units.end() - 1;
    }
    unit->tensors.push_back(t.name);
  }
  return units;
}

// The policy giving each unit's tensors `schemes[i]` (kNone: float) and every other tensor its stored dtype.
QuantPolicyOptions policy_for(const std::vector<AutoUnit>& units, const std::vector<Scheme>& schemes,
                              const QuantPolicyOptions& base) {
  QuantPolicyOptions o;
  o.params = base.params;
  o.min_elements = base.min_elements;
  for (size_t i = 0; i < units.size(); ++i) {
    if (schemes[i] == Scheme::kNone) continue;
    for (const std::string& name : units[i].tensors) o.tensor_types.emplace_back(escape_regex(name), schemes[i]);
  }
  return o;
}

bool same_decision(const TensorDecision& a, const TensorDecision& b) {
  if (a.scheme != b.scheme) return false;
  if (a.scheme == Scheme::kNone) return true;
  return a.params.block_size == b.params.block_size && a.params.group_size == b.params.group_size &&
         a.params.per_tensor == b.params.per_tensor && a.params.f32_scales == b.params.f32_scales &&
         a.params.per_channel_scale == b.params.per_channel_scale;
}

// The chosen schemes as recipe entries (issue 21: per chunk / role, not per tensor): each chunk gets the scheme
// holding most of its units' bytes (chunk_types CHUNK), a unit of that chunk that differs a CHUNK:ROLE entry; a
// unit no chunk owns a role_types entry when every unit of its role agrees. The result is checked tensor by
// tensor against the exact per-tensor policy (policy_for); a tensor it decides otherwise (e.g. a role entry that
// would also catch a small tensor the defaults keep float) gets an exact-name tensor_types entry, so the recipe
// always quantizes exactly what was measured.
Result<QuantPolicyOptions> compact_policy(const Model& model, const std::map<std::string, std::string>& chunks,
                                          const std::vector<AutoUnit>& units, const std::vector<Scheme>& schemes,
                                          const QuantPolicyOptions& base) {
  QuantPolicyOptions o;
  o.params = base.params;
  o.min_elements = base.min_elements;
  std::vector<std::string> chunk_order;
  std::map<std::string, std::map<Scheme, uint64_t>> bytes_by_chunk;
  for (size_t i = 0; i < units.size(); ++i) {
    if (units[i].chunk.empty()) continue;
    if (bytes_by_chunk.count(units[i].chunk) == 0) chunk_order.push_back(units[i].chunk);
    for (const std::string& name : units[i].tensors) {
      const TensorInfo* t = model.tensors.find(name);
      bytes_by_chunk[units[i].chunk][schemes[i]] += t ? t->num_bytes : 0;
    }
  }
  std::map<std::string, Scheme> chunk_scheme;
  for (const std::string& chunk : chunk_order) {
    Scheme best = Scheme::kNone;
    uint64_t most = 0;
    for (const auto& [scheme, bytes] : bytes_by_chunk[chunk]) {  // ties: the lower enum value (deterministic)
      if (bytes > most) best = scheme, most = bytes;
    }
    chunk_scheme[chunk] = best;
    o.chunk_types.emplace_back(chunk, best);
  }
  for (size_t i = 0; i < units.size(); ++i) {
    const AutoUnit& u = units[i];
    if (!u.chunk.empty()) {
      if (schemes[i] != chunk_scheme[u.chunk]) {
        o.chunk_types.emplace_back(u.chunk + ":" + std::string(role_name(u.role)), schemes[i]);
      }
      continue;
    }
    bool agree = true, listed = false;
    for (size_t j = 0; j < units.size(); ++j) agree = agree && (units[j].role != u.role || schemes[j] == schemes[i]);
    for (const auto& [role, scheme] : o.role_types) listed = listed || role == u.role;
    if (agree && !listed) o.role_types.emplace_back(u.role, schemes[i]);
  }
  HFB_TRY(QuantPolicy exact, QuantPolicy::create(policy_for(units, schemes, base)));
  for (int round = 0; round < 2; ++round) {
    HFB_TRY(QuantPolicy compact, QuantPolicy::create(o));
    std::vector<std::pair<std::string, Scheme>> exceptions;
    for (const TensorInfo& t : model.tensors.tensors()) {
      HFB_TRY(TensorDecision want, exact.decide(t));
      const auto found = chunks.find(t.name);
      HFB_TRY(TensorDecision got, compact.decide(t, found == chunks.end() ? std::string_view() : found->second));
      if (!same_decision(want, got)) exceptions.emplace_back(escape_regex(t.name), want.scheme);
    }
    if (exceptions.empty()) return o;
    if (round == 1) return Error(ErrorCode::kInternal, "quant auto: the recipe does not reproduce the measured choice");
    o.tensor_types = std::move(exceptions);
  }
  return o;
}

struct Measurement {
  double kl = 0;
  uint64_t bytes = 0;
};

class Measurer {
 public:
  Measurer(const Model& model, const EvalReferenceFile& reference, const AutoQuantOptions& options)
      : model_(model), reference_(reference), options_(options) {}

  Result<Measurement> measure(const std::vector<AutoUnit>& units, const std::vector<Scheme>& schemes,
                              const std::string& what) {
    HFB_TRY(QuantPolicy policy, QuantPolicy::create(policy_for(units, schemes, options_.base)));
    CoverageReport coverage;
    HFB_TRY(ModelSession session, open_quantized_model_session(model_, policy, &coverage));
    HFB_TRY(EvalReport report, eval_session(*session.session, reference_, nullptr));
    ++count_;
    if (options_.on_measure) options_.on_measure(what, report.kl_divergence_mean);
    return Measurement{report.kl_divergence_mean, coverage.total.bytes_after};
  }
  int count() const { return count_; }

 private:
  const Model& model_;
  const EvalReferenceFile& reference_;
  const AutoQuantOptions& options_;
  int count_ = 0;
};

std::string unit_label(const AutoUnit& u) {
  return (u.chunk.empty() ? std::string("(shared)") : u.chunk) + " " + std::string(role_name(u.role));
}

struct Move {
  size_t unit;
  Scheme scheme;
  double score;  ///< KL alone per byte saved: the cheapest loss first
};

// Sensitivities of every unit and scheme (only that unit quantized), as moves sorted by KL per byte saved.
Result<std::vector<Move>> measure_moves(Measurer& measurer, std::vector<AutoUnit>* units, uint64_t float_bytes) {
  std::vector<Move> moves;
  std::vector<Scheme> schemes(units->size(), Scheme::kNone);
  for (size_t i = 0; i < units->size(); ++i) {
    for (Scheme s : (*units)[i].ladder) {
      schemes[i] = s;
      const std::string what = "sensitivity " + unit_label((*units)[i]) + " " + std::string(scheme_name(s));
      HFB_TRY(Measurement m, measurer.measure(*units, schemes, what));
      (*units)[i].sensitivity[std::string(scheme_name(s))] = m.kl;
      const double saved = static_cast<double>(float_bytes > m.bytes ? float_bytes - m.bytes : 1);
      moves.push_back(Move{i, s, m.kl / saved});
    }
    schemes[i] = Scheme::kNone;
  }
  std::stable_sort(moves.begin(), moves.end(), [](const Move& a, const Move& b) { return a.score < b.score; });
  return moves;
}

// Position of a scheme on a unit's ladder (float = -1; a larger index is a smaller scheme).
int rung(const AutoUnit& unit, Scheme scheme) {
  const auto it = std::find(unit.ladder.begin(), unit.ladder.end(), scheme);
  return it == unit.ladder.end() ? -1 : static_cast<int>(it - unit.ladder.begin());
}

// The calibration data split for selection and confirmation: sequences at even positions select, those at odd
// positions confirm (a single sequence: its first half selects, its second half confirms, each from an empty
// cache). Each half runs through the float model into its own reference file.
struct CalibrationFiles {
  std::string selection;
  std::string validation;
};

Status record_calibration_references(const Model& model, const AutoQuantOptions& options, const CalibrationFiles& files,
                                     AutoQuantResult* result) {
  HFB_TRY(ModelSession reference, open_model_session(model));
  HFB_TRY(Calibration calibration, load_calibration(options, reference));
  result->calibration = calibration.description;
  std::vector<std::vector<int64_t>> halves[2];
  if (calibration.sequences.size() == 1) {
    const std::vector<int64_t>& only = calibration.sequences[0];
    const size_t cut = std::max<size_t>(1, only.size() / 2);
    halves[0].emplace_back(only.begin(), only.begin() + static_cast<std::ptrdiff_t>(cut));
    if (cut < only.size()) halves[1].emplace_back(only.begin() + static_cast<std::ptrdiff_t>(cut), only.end());
    if (halves[1].empty()) halves[1] = halves[0];  // one id: nothing to hold out
  } else {
    for (size_t s = 0; s < calibration.sequences.size(); ++s) halves[s % 2].push_back(calibration.sequences[s]);
  }
  int64_t* positions[2] = {&result->selection_positions, &result->validation_positions};
  const std::string* paths[2] = {&files.selection, &files.validation};
  for (int h = 0; h < 2; ++h) {
    EvalReferenceInfo info;
    info.vocab_size = reference.session->vocab_size();
    info.num_layers = reference.session->num_layers();
    info.label = options.source;
    for (const auto& seq : halves[h]) *positions[h] += static_cast<int64_t>(seq.size());
    info.sequences = std::move(halves[h]);
    HFB_TRY(record_eval_reference(*reference.session, info, *paths[h], nullptr));
  }
  result->calibration_positions = result->selection_positions + result->validation_positions;
  return ok_status();
}

// Greedy descent from `start` (all float): the moves in order, each kept only if the measured KL of the whole
// combination on the selection data stays within `budget`.
Result<std::pair<std::vector<Scheme>, Measurement>> descend(Measurer& measurer, const std::vector<AutoUnit>& units,
                                                            const std::vector<Move>& moves, Measurement start,
                                                            double budget) {
  std::vector<Scheme> schemes(units.size(), Scheme::kNone);
  Measurement current = start;
  for (const Move& move : moves) {
    const AutoUnit& unit = units[move.unit];
    if (rung(unit, move.scheme) <= rung(unit, schemes[move.unit])) continue;  // not smaller than what it has
    std::vector<Scheme> trial = schemes;
    trial[move.unit] = move.scheme;
    const std::string what = "combination + " + unit_label(unit) + " " + std::string(scheme_name(move.scheme));
    HFB_TRY(Measurement m, measurer.measure(units, trial, what));
    if (m.kl <= budget) {
      schemes = std::move(trial);
      current = m;
    }
  }
  return std::make_pair(std::move(schemes), current);
}

}  // namespace

Result<AutoQuantResult> choose_auto_quant(const AutoQuantOptions& options) {
  if (!std::isfinite(options.max_kl) || !(options.max_kl > 0)) {
    return Error(ErrorCode::kInvalidArgument, "--max-kl must be a finite number > 0 (nats), got " + std::to_string(options.max_kl));
  }
  HFB_TRY(Model model, load_checkpoint(options.source));
  HFB_TRY(auto chunks, tensor_chunks(options));
  AutoQuantResult result;
  result.max_kl = options.max_kl;
  HFB_TRY(result.units, make_units(model, chunks, options.base));
  if (result.units.empty()) return Error(ErrorCode::kInvalidArgument, "no tensor to quantize").with_path(options.source);
  const std::string stem = (std::filesystem::temp_directory_path() / ("hfbundle-auto-" + std::to_string(::getpid()))).string();
  const CalibrationFiles files{stem + ".select.ref", stem + ".confirm.ref"};
  struct Remove {
    const CalibrationFiles& f;
    ~Remove() {
      std::filesystem::remove(f.selection);
      std::filesystem::remove(f.validation);
    }
  } remove{files};
  HFB_TRY(record_calibration_references(model, options, files, &result));
  HFB_TRY(EvalReferenceFile selection, EvalReferenceFile::open(files.selection));
  HFB_TRY(EvalReferenceFile validation, EvalReferenceFile::open(files.validation));
  Measurer measurer(model, selection, options);
  Measurer confirmer(model, validation, options);
  const std::vector<Scheme> all_float(result.units.size(), Scheme::kNone);
  HFB_TRY(Measurement start, measurer.measure(result.units, all_float, "float"));
  HFB_TRY(std::vector<Move> moves, measure_moves(measurer, &result.units, start.bytes));
  // Both halves must come in kConfirmMargin under the budget: select within a working budget (first the target)
  // on one half, confirm on the other (never seen by the selection); while the confirmation fails, tighten the
  // working budget by the ratio it missed by (at least kMinTighten) and select again. The first round that
  // confirms wins; none: all float.
  const double target = options.max_kl * (1.0 - kConfirmMargin);
  double budget = target;
  std::vector<Scheme> schemes = all_float;
  Measurement chosen = start;
  double confirmed_kl = 0;
  for (int round = 0; round < kMaxRounds; ++round) {
    HFB_TRY(auto selected, descend(measurer, result.units, moves, start, budget));
    HFB_TRY(Measurement check, confirmer.measure(result.units, selected.first,
                                                 "confirm (working budget " + std::to_string(budget) + ")"));
    result.rounds.push_back(AutoRound{budget, selected.second.kl, check.kl, selected.second.bytes, check.kl <= target});
    if (result.rounds.back().confirmed) {
      schemes = std::move(selected.first);
      chosen = selected.second;
      confirmed_kl = check.kl;
      break;
    }
    budget *= std::min(kMinTighten, target / check.kl);
  }
  for (size_t i = 0; i < schemes.size(); ++i) result.units[i].chosen = schemes[i];
  result.selection_kl = chosen.kl;
  result.validation_kl = confirmed_kl;
  result.working_budget = result.rounds.empty() ? budget : result.rounds.back().budget;
  result.bytes = chosen.bytes;
  // The chosen combination on all the calibration data (both halves, weighted by their positions).
  result.kl_divergence_mean =
      (chosen.kl * static_cast<double>(result.selection_positions) + confirmed_kl * static_cast<double>(result.validation_positions)) /
      static_cast<double>(std::max<int64_t>(1, result.calibration_positions));
  result.measurements = measurer.count() + confirmer.count();
  HFB_TRY(result.policy, compact_policy(model, chunks, result.units, schemes, options.base));
  if (options.max_size && result.bytes > *options.max_size) {
    return Error(ErrorCode::kCheckFailed, "the smallest recipe found within --max-kl " + std::to_string(options.max_kl) +
                                              " takes " + std::to_string(result.bytes) + " bytes, above --max-size " +
                                              std::to_string(*options.max_size) + " (raise one of them)");
  }
  return result;
}

}  // namespace hfb
