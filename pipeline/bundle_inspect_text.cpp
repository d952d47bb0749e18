// `hfbundle inspect BUNDLE` without --json: a readable report of the manifest.
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <map>

#include "formats/bundle.pb.h"
#include "pipeline/text_format.h"
#include "pipeline/bundle_inspect.h"

namespace hfb {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out.empty() ? "-" : out;
}

void append_config(const ModelConfig& c, std::string* out) {
  const TextConfig& t = c.text;
  *out += text_format("config: %s (%s): %d layers, hidden %d, vocab %d, %d kv-shared, window %d\n",
                 c.architecture.c_str(), c.model_type.c_str(), t.num_hidden_layers, t.hidden_size, t.vocab_size,
                 t.num_kv_shared_layers, t.sliding_window);
  if (c.audio) {
    *out += text_format("  audio tower: %d layers, hidden %d, output_proj_dims %d, clipped linears %s\n",
                   c.audio->num_hidden_layers, c.audio->hidden_size, c.audio->output_proj_dims,
                   c.audio->use_clipped_linears ? "on" : "off");
  }
  if (c.vision) {
    *out += text_format("  vision tower: %d layers, hidden %d, pooling %d, clipped linears %s\n",
                   c.vision->num_hidden_layers, c.vision->hidden_size, c.vision->pooling_kernel_size,
                   c.vision->use_clipped_linears ? "on" : "off");
  }
}

void append_files_and_chunks(const Bundle& bundle, std::string* out) {
  const bundle::Manifest& m = bundle.manifest();
  *out += text_format("files: %d\n", m.files_size());
  for (const bundle::File& f : m.files()) {
    std::string kind = bundle::FileKind_Name(f.kind());
    kind = kind.substr(kind.find('_') + 1);
    *out += text_format("  %-24s %-10s raw %12" PRIu64 "  stored %12" PRIu64 "%s\n", f.name().c_str(), kind.c_str(),
                   f.raw_size(), f.stored_size(),
                   f.compression() == bundle::COMPRESSION_ZSTD ? text_format("  zstd %d", f.zstd_level()).c_str() : "");
  }
  if (m.has_text_graph()) {
    *out += text_format("text graph: %d nodes, %d values, %d states (`inspect BUNDLE --graph` prints it)\n",
                   m.text_graph().nodes_size(), m.text_graph().values_size(), m.text_graph().states_size());
  }
  *out += text_format("chunks: %zu\n", bundle.chunks().size());
  for (int i = 0; i < static_cast<int>(bundle.chunks().size()); ++i) {
    const BundleChunkInfo& c = bundle.chunks()[static_cast<size_t>(i)];
    *out += text_format("  %-10s %-9s layers [%d, %d)  file %s  in %s  out %s  state %zu\n", c.name.c_str(),
                   c.kind.c_str(), c.first_layer, c.end_layer, c.file.c_str(), join(c.inputs).c_str(),
                   join(c.outputs).c_str(), c.state.size());
    if (i >= m.chunks_size() || m.chunks(i).graph().nodes_size() == 0) continue;
    const bundle::Graph& g = m.chunks(i).graph();
    const std::vector<std::string> in(g.inputs().begin(), g.inputs().end());
    const std::vector<std::string> outs(g.outputs().begin(), g.outputs().end());
    const std::vector<std::string> imported(g.imported_states().begin(), g.imported_states().end());
    *out += text_format("    graph: %d nodes  reads %s  hands on %s  imports %s\n", g.nodes_size(), join(in).c_str(),
                   join(outs).c_str(), imported.empty() ? "-" : join(imported).c_str());
  }
}

void append_tensors(const Bundle& bundle, std::string* out) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> by_encoding;  // count, bytes
  std::string lines;
  uint64_t total = 0;
  for (const BundleTensor& t : bundle.tensors()) {
    uint64_t bytes = 0;
    for (const BundleSegmentView& s : t.segments) bytes += s.length;
    total += bytes;
    const std::string encoding = t.scheme.empty() ? std::string(t.info.dtype.name()) : t.scheme;
    by_encoding[encoding].first += 1;
    by_encoding[encoding].second += bytes;
    const BundleSegmentView& first = t.segments.front();
    lines += text_format("  %s  %s %s  %" PRIu64 " bytes  %s  %s@%" PRIu64 "%s\n", t.info.name.c_str(), encoding.c_str(),
                    t.info.shape.to_string().c_str(), bytes, t.chunk.empty() ? "(shared)" : t.chunk.c_str(),
                    first.file.c_str(), first.offset,
                    t.segments.size() > 1 ? text_format(" +%zu segments", t.segments.size() - 1).c_str() : "");
  }
  *out += text_format("tensors: %zu, %" PRIu64 " bytes\n", bundle.tensors().size(), total);
  for (const auto& [encoding, tally] : by_encoding) {
    *out += text_format("  %-8s %6" PRIu64 " tensors %14" PRIu64 " bytes\n", encoding.c_str(), tally.first, tally.second);
  }
  *out += lines;
}

void append_reports(const bundle::Manifest& m, std::string* out) {
  *out += text_format("passes: %d\n", m.passes_size());
  for (const bundle::PassRecord& p : m.passes()) {
    std::string summary = p.summary();
    while (!summary.empty() && (summary.back() == '\n' || summary.back() == ' ')) summary.pop_back();
    if (summary.rfind(p.pass() + ":", 0) != 0) summary = p.pass() + ": " + summary;
    for (size_t at = summary.find('\n'); at != std::string::npos; at = summary.find('\n', at + 3)) {
      summary.replace(at, 1, "\n    ");
    }
    *out += "  " + summary + "\n";
  }
  *out += text_format("coverage: %d entries\n", m.coverage_size());
  for (const bundle::CoverageRecord& c : m.coverage()) {
    *out += text_format("  %s  %s  %" PRIu64 " -> %" PRIu64 " bytes  (%s%s)\n", c.tensor().c_str(), c.scheme().c_str(),
                   c.bytes_before(), c.bytes_after(), c.rule().empty() ? "" : ("[" + c.rule() + "] ").c_str(),
                   c.reason().c_str());
  }
}

}  // namespace

std::string bundle_summary_text(const Bundle& bundle) {
  const bundle::Manifest& m = bundle.manifest();
  std::string out;
  out += "bundle: " + bundle.path() + (bundle.is_zip() ? " (zip)\n" : " (directory)\n");
  out += text_format("format: %u.%u, producer %s, alignment %u\n", bundle.format_major(), bundle.format_minor(),
                bundle.producer().c_str(), m.alignment());
  out += text_format("source: %s (config xxh3 0x%016" PRIx64 ", %" PRIu64 " tensors)\n",
                m.source().checkpoint_name().c_str(), m.source().config_xxh3(), m.source().tensor_count());
  if (!m.source().command_line().empty()) {
    out += text_format("made by: hfbundle %s: %s\n", m.source().hfbundle_version().c_str(),
                       m.source().command_line().c_str());
  }
  for (const auto& input : m.source().inputs()) {
    out += text_format("  input %s: %" PRIu64 " bytes, %s\n", input.name().c_str(), input.size(), input.hash().c_str());
  }
  if (!m.recipe_json().empty()) {  // format 1.4; `inspect BUNDLE --recipe` prints it alone, for convert --recipe
    std::string recipe = m.recipe_json();
    while (!recipe.empty() && recipe.back() == '\n') recipe.pop_back();
    for (size_t at = recipe.find('\n'); at != std::string::npos; at = recipe.find('\n', at + 3)) recipe.replace(at, 1, "\n  ");
    out += "recipe:\n  " + recipe + "\n";
  }
  append_config(bundle.config(), &out);
  append_files_and_chunks(bundle, &out);
  append_tensors(bundle, &out);
  append_reports(m, &out);
  return out;
}

}  // namespace hfb
