// `hfbundle export BUNDLE -o model.gguf [--mmproj-out mmproj.gguf] [--quant f32|f16|bf16|none|q4_0|q8_0]
//  [--tensor-type RE=S]... [--role-type ROLE=S]... [--coverage FILE] [--force] [--json] [--quiet] [--verbose]`:
// a bundle -> llama.cpp GGUF, no checkpoint needed (q4_0/q8_0 blocks copied as they are). docs/gguf.md.
#include <memory>

#include "cli/command.h"
#include "cli/gguf_options.h"

namespace hfb::cli {
namespace {

void setup_export(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<GgufCliOptions>();
  GgufExportOptions& e = options->exporter;
  CLI::App* sub = app.add_subcommand("export", "Bundle -> llama.cpp GGUF (+ mmproj for the vision/audio towers)");
  sub->add_option("bundle", e.source, "Bundle directory or .hfb.zip written by `hfbundle convert`")->required();
  sub->add_option("-o,--out", e.out, "Output GGUF file (REQUIRED)")->required();
  sub->add_option("--mmproj-out", e.mmproj_out, "Write the vision/audio towers to this mmproj GGUF");
  sub->add_flag("--force", e.force, "Replace existing outputs");
  add_quant_options(sub, &options->quant,
                    "Type of the bundle's float tensors: f32|f16|bf16|none|q4_0|q8_0 (default none: as stored); "
                    "q4_0/q8_0 tensors of the bundle are copied as they are");
  sub->add_flag("--json", options->json, "Print a JSON summary (with the coverage) on stdout");
  sub->add_flag("--quiet", options->quiet, "Print nothing on success");
  sub->add_flag("--verbose", options->verbose, "Print one line per tensor");
  sub->callback([options, run] { *run = [options] { return run_gguf_export(*options, true); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(export, setup_export);

}  // namespace hfb::cli
