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

// Runs the float model over the calibration data into a reference file; notes which data in `result`.
Status record_calibration_reference(const Model& model, const AutoQuantOptions& options, const std::string& path,
                                    AutoQuantResult* result) {
  HFB_TRY(ModelSession reference, open_model_session(model));
  HFB_TRY(Calibration calibration, load_calibration(options, reference));
  result->calibration = calibration.description;
  EvalReferenceInfo info;
  info.vocab_size = reference.session->vocab_size();
  info.num_layers = reference.session->num_layers();
  info.label = options.source;
  info.sequences = std::move(calibration.sequences);
  for (const auto& s : info.sequences) result->calibration_positions += static_cast<int64_t>(s.size());
  return record_eval_reference(*reference.session, info, path, nullptr);
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
  const std::string reference_path = (std::filesystem::temp_directory_path() /
                                      ("hfbundle-auto-" + std::to_string(::getpid()) + ".ref")).string();
  struct Remove { std::string path; ~Remove() { std::filesystem::remove(path); } } remove{reference_path};
  HFB_TRY(record_calibration_reference(model, options, reference_path, &result));
  HFB_TRY(EvalReferenceFile reference, EvalReferenceFile::open(reference_path));
  Measurer measurer(model, reference, options);
  std::vector<Scheme> schemes(result.units.size(), Scheme::kNone);
  HFB_TRY(Measurement current, measurer.measure(result.units, schemes, "float"));
  HFB_TRY(std::vector<Move> moves, measure_moves(measurer, &result.units, current.bytes));
  for (const Move& move : moves) {
    const AutoUnit& unit = result.units[move.unit];
    if (rung(unit, move.scheme) <= rung(unit, schemes[move.unit])) continue;  // not smaller than what it has
    std::vector<Scheme> trial = schemes;
    trial[move.unit] = move.scheme;
    const std::string what = "combination + " + unit_label(unit) + " " + std::string(scheme_name(move.scheme));
    HFB_TRY(Measurement m, measurer.measure(result.units, trial, what));
    if (m.kl <= options.max_kl) {
      schemes = std::move(trial);
      current = m;
    }
  }
  for (size_t i = 0; i < schemes.size(); ++i) result.units[i].chosen = schemes[i];
  result.kl_divergence_mean = current.kl;
  result.bytes = current.bytes;
  result.measurements = measurer.count();
  result.policy = policy_for(result.units, schemes, options.base);
  if (options.max_size && result.bytes > *options.max_size) {
    return Error(ErrorCode::kCheckFailed, "the smallest recipe found within --max-kl " + std::to_string(options.max_kl) +
                                              " takes " + std::to_string(result.bytes) + " bytes, above --max-size " +
                                              std::to_string(*options.max_size) + " (raise one of them)");
  }
  return result;
}

}  // namespace hfb
