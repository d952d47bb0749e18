// `hfbundle requant BUNDLE --chunk CHUNK --quant SCHEME --source CKPT [-o OUT] [--force] [--json] [--quiet]`:
// re-encode one chunk of a bundle from its checkpoint (pipeline/requant.h), in place or into a new bundle.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/interrupt_handlers.h"
#include "pipeline/coverage_json.h"
#include "pipeline/requant.h"
#include "quant/scheme_traits.h"

namespace hfb::cli {
namespace {

struct RequantCommandOptions {
  RequantOptions requant;
  std::string quant;
  bool json = false;
  bool quiet = false;
};

std::string result_json(const RequantResult& r) {
  nlohmann::ordered_json j;
  j["out"] = r.out;
  j["in_place"] = r.in_place;
  j["rewritten_files"] = r.rewritten_files;
  j["kept_files"] = r.kept_files;
  j["recipe"] = nlohmann::ordered_json::parse(r.recipe_json);
  j["coverage"] = nlohmann::ordered_json::parse(coverage_to_json(r.coverage));
  return j.dump(2) + "\n";
}

/// HFB_TEST_REQUANT_DIE_BEFORE_RENAME=1 (tests only): the process dies (exit 42, no cleanup, like a kill -9) when
/// the new manifest is about to be written, the last step before the rename, so a test can check what a crash leaves.
void add_test_crash(RequantOptions* requant) {
  const char* die = std::getenv("HFB_TEST_REQUANT_DIE_BEFORE_RENAME");
  if (die == nullptr || std::string(die) != "1") return;
  requant->sink_factory = [](const std::string& path) -> Result<std::unique_ptr<WriteSink>> {
    const std::string manifest = "/manifest.pb";
    if (path.size() >= manifest.size() && path.compare(path.size() - manifest.size(), manifest.size(), manifest) == 0) {
      std::_Exit(42);
    }
    return open_file_sink(path);
  };
}

int run_requant(RequantCommandOptions options) {
  Result<Scheme> scheme = parse_scheme(options.quant);
  if (!scheme.ok()) return report_error(scheme.error());
  options.requant.scheme = *scheme;
  add_test_crash(&options.requant);
  Result<RequantResult> result = Error(ErrorCode::kInternal, "requant did not run");
  {
    InterruptHandlers handlers;  // Ctrl-C / SIGTERM: the pipeline unwinds and removes the temp directory
    result = requant_bundle(options.requant);
  }
  if (const int code = exit_for_interrupt("requant", "the bundle was left unchanged")) return code;
  if (!result.ok()) return report_error(result.error());
  if (options.json) {
    std::fputs(result_json(*result).c_str(), stdout);
  } else if (!options.quiet) {
    std::fputs(result->to_string().c_str(), stdout);
  }
  return kExitOk;
}

void setup_requant(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<RequantCommandOptions>();
  RequantOptions& r = options->requant;
  CLI::App* sub = app.add_subcommand(
      "requant", "Re-encode one chunk of a bundle from its checkpoint (other data files untouched; atomic)");
  sub->add_option("bundle", r.bundle, "Directory bundle made by convert (format 1.4 or later)")->required();
  sub->add_option("--chunk", r.chunk, "Chunk to re-encode, as inspect lists it (decoder.2, embeddings, head, ...)")
      ->required();
  sub->add_option("--quant", options->quant, "Its new scheme: " + scheme_name_list("|"))->required();
  sub->add_option("--source", r.source, "The checkpoint the bundle was made from")->required();
  sub->add_option("-o,--out", r.out, "Write a new bundle here (unchanged files hard-linked) instead of in place");
  sub->add_flag("--force", r.force, "With -o: replace an existing bundle there");
  sub->add_flag("--json", options->json, "Print the result (files, updated recipe, the chunk's coverage) as JSON");
  sub->add_flag("--quiet", options->quiet, "Print nothing on success");
  sub->callback([options, run] { *run = [options] { return run_requant(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(requant, setup_requant);

}  // namespace hfb::cli
