// The --quant options shared by `verify` and `run`.
#include "cli/quant_options.h"

#include <cstdio>

#include "pipeline/coverage_json.h"
#include "quant/scheme_traits.h"
#include "validators/report.h"

namespace hfb::cli {

void add_quant_options(CLI::App* sub, QuantCliOptions* o, const std::string& quant_help) {
  sub->add_option("--quant", o->quant,
                  !quant_help.empty() ? quant_help
                                      : "Quantize in memory first: " + scheme_name_list("|") + " (default: no quantization)");
  sub->add_option("--group-size", o->group_size, "kmeans: output channels per LUT (default 32)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--block-size", o->block_size, "int8/int4: input elements per scale (0 = per row)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--per-tensor", o->per_tensor, "One scale / LUT per tensor");
  sub->add_option("--tensor-type", o->tensor_types, "REGEX=SCHEME on the full tensor name (repeatable)");
  sub->add_option("--role-type", o->role_types, "ROLE=SCHEME, e.g. ple_table=int8 (repeatable)");
  sub->add_option("--min-elements", o->min_elements, "Tensors with fewer elements stay float (default 2048)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--coverage", o->coverage, "Write the per-tensor coverage report (JSON) here");
  sub->add_flag("--allow-nonfinite", o->allow_nonfinite,
                "Keep a tensor holding NaN/Inf in its stored float type (whatever the scheme; the coverage says "
                "'kept float') instead of refusing it; q4_0/q8_0 write blocks whose f16 scale overflows as ggml does");
}

void add_chunk_type_option(CLI::App* sub, QuantCliOptions* o) {
  sub->add_option("--chunk-type", o->chunk_types,
                  "CHUNK=SCHEME for the quantizable tensors of one chunk, named as the chunk plan prints it "
                  "(embeddings, decoder.N, head, audio, vision; repeatable). Precedence: --tensor-type > "
                  "--role-type > --chunk-type > --quant (docs/recipes.md)");
}

Result<std::optional<QuantPolicy>> make_quant_policy(const QuantCliOptions& o) {
  if (o.quant.empty()) {
    if (!o.tensor_types.empty() || !o.role_types.empty() || !o.chunk_types.empty() || !o.coverage.empty() ||
        o.per_tensor) {
      return Error(ErrorCode::kInvalidArgument, "--tensor-type/--role-type/--per-tensor/--coverage need --quant");
    }
    return std::optional<QuantPolicy>();
  }
  QuantPolicyOptions options;
  HFB_TRY(options.global, parse_scheme(o.quant));
  options.params.group_size = o.group_size;
  options.params.block_size = o.block_size;
  options.params.per_tensor = o.per_tensor;
  options.params.allow_nonfinite = o.allow_nonfinite;
  options.min_elements = o.min_elements;
  for (const std::string& item : o.tensor_types) {
    HFB_TRY(auto parsed, parse_tensor_type(item));
    options.tensor_types.push_back(std::move(parsed));
  }
  for (const std::string& item : o.role_types) {
    HFB_TRY(auto parsed, parse_role_type(item));
    options.role_types.push_back(parsed);
  }
  for (const std::string& item : o.chunk_types) {
    HFB_TRY(auto parsed, parse_chunk_type(item));
    options.chunk_types.push_back(std::move(parsed));
  }
  HFB_TRY(QuantPolicy policy, QuantPolicy::create(std::move(options)));
  return std::optional<QuantPolicy>(std::move(policy));
}

Status emit_coverage(const QuantCliOptions& options, const CoverageReport& coverage) {
  std::fputs(coverage_summary(coverage).c_str(), stderr);  // stdout holds the command's result only
  if (options.coverage.empty()) return ok_status();
  return write_text_file_atomic(options.coverage, coverage_to_json(coverage));
}

}  // namespace hfb::cli
